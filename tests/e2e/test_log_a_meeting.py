"""A committee member logs a meeting with two regulators, picking them by search as they type."""

from playwright.sync_api import expect

from tests.e2e.conftest import login_as, screenshot


def test_a_committee_member_logs_a_meeting_with_two_regulators(page, live_server):
    login_as(page, live_server, "committee", email="cora@example.org")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Interactions").click()
    page.get_by_role("link", name="Log an interaction").click()
    expect(page.get_by_role("heading", name="Log an interaction")).to_be_visible()

    page.get_by_label("Kind").select_option("meeting")
    page.get_by_label("Title").fill("PRA spots with CPSO and CPSBC")
    for number, query, name in (
        (1, "CPSO", "College of Physicians and Surgeons of Ontario (CPSO) · ON"),
        (2, "CPSBC", "College of Physicians and Surgeons of British Columbia (CPSBC) · BC"),
    ):
        box = page.get_by_role("combobox", name=f"Participant {number}", exact=True)
        box.fill(query)
        page.get_by_role("option", name=name).click()  # (the province tells same-named organizations apart)
        expect(box).to_have_value(name)
        page.get_by_label(f"Role of participant {number}").select_option("target")
    page.get_by_label("Summary").fill("Presented the **Ontario proposal**.")
    page.get_by_label("Hashtags").fill("#mppchats")
    page.get_by_label("Follow-up 1").fill("Send the PRA figures")
    page.locator("#follow_ups-0-due_date").fill("2099-01-01")
    screenshot(page, "10-log-a-meeting")
    page.get_by_role("button", name="Save interaction").click()

    expect(page.get_by_text("Interaction logged.")).to_be_visible()
    expect(page.get_by_role("heading", name="PRA spots with CPSO and CPSBC")).to_be_visible()
    participants = page.get_by_role("complementary")
    cpso = "College of Physicians and Surgeons of Ontario (CPSO)"
    expect(participants.get_by_role("link", name=cpso)).to_be_visible()
    expect(
        participants.get_by_role("link", name="College of Physicians and Surgeons of British Columbia (CPSBC)")
    ).to_be_visible()
    expect(page.locator("strong", has_text="Ontario proposal")).to_be_visible()
    screenshot(page, "11-meeting-logged")

    # Everything ITPO did with CPSO, on one page.
    participants.get_by_role("link", name=cpso).click()
    expect(page.get_by_role("link", name="PRA spots with CPSO and CPSBC")).to_be_visible()
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors
