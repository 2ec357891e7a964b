"""French reference names (issue 25): the ridings the federal 2013 Representation Order names in French, provinces and
members' titles, from crm/data/names_fr.csv."""

from crm.reference.names import name_in

ED = "ocd-division/country:ca/province:on/ed:{}-2015"


def test_ridings_named_in_french_by_the_federal_order_read_so_in_french():
    """Checked against opencivicdata's ca_federal_electoral_districts-2013.csv name_fr (crm/data/README.md)."""
    assert name_in("fr", "riding", ED.format(6), "Bay of Quinte") == "Baie de Quinte"
    assert name_in("fr", "riding", ED.format(46), "Kingston and the Islands") == "Kingston et les Îles"
    leeds = "Leeds—Grenville—Thousand Islands and Rideau Lakes"
    assert name_in("fr", "riding", ED.format(52), leeds) == "Leeds—Grenville—Thousand Islands et Rideau Lakes"
    assert name_in("en", "riding", ED.format(6), "Bay of Quinte") == "Bay of Quinte"
    assert name_in("fr", "riding", ED.format(1), "Ajax") == "Ajax"  # the same in both languages


def test_every_legislatures_member_title_has_a_french_form():
    from crm.reference import shipped

    titles = {row["member_title"] for row in shipped.rows("canada_legislatures.csv")}
    french = {title: name_in("fr", "title", title, None) for title in titles}
    assert all(value and value.startswith("député(e)") for value in french.values()), french
