"""Synthetic members' stories for the demo, the tests, the benchmark and the threshold measurement: different
stories on one topic (same sentence shapes, different lives), and a story with a few words changed."""

from __future__ import annotations

import random

COUNTRIES = (
    "Egypt",
    "India",
    "Pakistan",
    "Nigeria",
    "Iran",
    "the Philippines",
    "Iraq",
    "Syria",
    "Ukraine",
    "Jamaica",
    "Bangladesh",
    "Lebanon",
    "Colombia",
    "Sudan",
    "Brazil",
    "Cuba",
    "Mexico",
    "Ireland",
)
CITIES = (
    "Cairo",
    "Lahore",
    "Mumbai",
    "Lagos",
    "Tehran",
    "Manila",
    "Baghdad",
    "Damascus",
    "Kyiv",
    "Kingston",
    "Dhaka",
    "Beirut",
    "Bogota",
    "Khartoum",
    "Sao Paulo",
    "Havana",
    "Guadalajara",
    "Dublin",
    "Karachi",
    "Delhi",
)
SPECIALTIES = (
    "family medicine",
    "internal medicine",
    "pediatrics",
    "general surgery",
    "obstetrics",
    "psychiatry",
    "anesthesia",
    "emergency medicine",
    "cardiology",
    "radiology",
    "geriatrics",
)
PLACES = (
    "a rural clinic",
    "a teaching hospital",
    "a district hospital",
    "a refugee camp clinic",
    "a busy emergency department",
    "a maternity unit",
    "a community health centre",
    "a military hospital",
)
JOBS = (
    "driving for a delivery company",
    "working as a personal support worker",
    "stocking shelves at night",
    "working in a pharmacy",
    "tutoring students in biology",
    "working as a research assistant",
    "driving a taxi",
    "working in a call centre",
    "cleaning offices",
    "working as a lab technician",
)
TOWNS = (
    "Brampton",
    "Mississauga",
    "Scarborough",
    "Hamilton",
    "London",
    "Windsor",
    "Ottawa",
    "Kitchener",
    "Sudbury",
    "Thunder Bay",
    "Oshawa",
    "Barrie",
    "Kingston",
    "Guelph",
    "Markham",
    "Etobicoke",
)
FAMILY = (
    "my wife and two children",
    "my husband and our daughter",
    "my elderly mother",
    "my three sons",
    "my family",
    "my partner",
    "my two young daughters",
    "nobody but a suitcase of textbooks",
)

OPENINGS = (
    "I trained in {city}, {country}, and practised {specialty} for {years} years at {place}.",
    "I am a {specialty} physician from {country} with {years} years of experience at {place}.",
    "Before coming to Canada I worked for {years} years in {specialty} at {place} near {city}.",
    "I graduated from medical school in {city} and spent {years} years in {specialty}, mostly at {place}.",
    "Back in {country} I was the only {specialty} doctor at {place} for {years} years.",
    "My medical degree is from {city}; after it I gave {years} years to {place}, "
    "first as a resident, then in {specialty}.",
    "For {years} years my days began at {place} outside {city}, where I looked after patients in {specialty}.",
    "{country} trained me well: {years} years of {specialty}, the last of them running {place}.",
)
ARRIVALS = (
    "I moved to {town} in {year} with {family}.",
    "We arrived in Ontario in {year}; I came with {family} and settled in {town}.",
    "Since {year} I have lived in {town} with {family}.",
    "In {year} I immigrated to {town}, bringing {family}.",
    "{town} became home in {year}, for me and {family}.",
    "My permanent residence came through in {year}, and {family} joined me in {town} soon after.",
    "We chose {town} when we landed in {year}, because {family} needed a quiet place to start again.",
    "Ontario welcomed {family} and me in {year}; we rent a small apartment in {town}.",
)
EXAMS = (
    "I passed the MCCQE Part I and the NAC exam, and applied to CaRMS {tries} times without a match.",
    "Despite passing every qualifying exam, I have not matched to a residency after {tries} attempts.",
    "I have written all the Canadian exams and sent {tries} rounds of applications, with no interview.",
    "My exams are done, yet {tries} years of residency applications have led nowhere.",
    "Every qualifying exam is behind me; {tries} CaRMS cycles later I still have no position.",
    "The Medical Council exams took me two years of nights; the match has turned me down {tries} times.",
    "I studied for the NAC while working full time, passed it, and was rejected {tries} times anyway.",
    "After {tries} unsuccessful applications, I was told my graduation year makes me a poor candidate.",
)
NOW = (
    "Today I am {job} to support my family.",
    "For now I am {job}, while my skills fade a little every year.",
    "Meanwhile I keep my family afloat by {job}.",
    "I currently pay the bills {job}.",
    "My days go to {job}; my evenings go to journals so I do not forget what I know.",
    "Right now I earn a living {job}, which pays the rent but wastes my training.",
    "It hurts to be {job} when the clinic down the street has no doctor.",
    "To keep going I started {job}, the only work I could find.",
)
HOPES = (
    "{town} has thousands of people without a family doctor, and I could care for them tomorrow.",
    "A Practice-Ready Assessment spot would let me serve patients in {town} within months.",
    "I want to work in {specialty} where Ontario needs it most, in {town} or anywhere in the north.",
    "If Ontario opened more residency positions, I would spend my career in {town} caring for its patients.",
    "Patients wait months in {town} for care that I was trained to give.",
    "My neighbours in {town} drive an hour to a walk-in clinic; I could be their doctor.",
    "With a clinical assistant role I could help the emergency department in {town} tonight.",
    "The hospital in {town} cancels shifts for lack of physicians while people like me wait.",
    "Give me a supervised start in {town} and I will repay it with decades of service.",
)
CLOSINGS = (
    "Please support more PRA spots and more residency positions.",
    "I ask you to support ITPO's three asks in the legislature.",
    "Please speak for internationally trained physicians like me.",
    "I hope you will raise this with the Minister of Health.",
    "Thank you for reading my story.",
    "I would be glad to meet you at your constituency office.",
    "",
    "",
)
SLOTS = (OPENINGS, ARRIVALS, EXAMS, NOW, HOPES, CLOSINGS)
# Different people word the same thing differently: each story picks its own word for each of these.
SYNONYMS = [
    group.split("|")
    for group in (
        "practised|worked|served",
        "years|long years",
        "patients|people|families",
        "Ontario|this province",
        "care|treat|look after",
        "support|back|champion",
        "residency|training",
        "position|place|spot",
        "applied|tried|applied again",
        "doctor|physician",
        "trained|studied",
        "work|job",
        "today|now|these days",
        "help|serve",
        "hospital|hospital ward",
        "wait|keep waiting",
        "family|kids|loved ones",
        "please|so please",
        "I|I myself",
        "and|and also",
        "the|our",
        "a|one",
        "my|our",
        "for|during",
        "in|here in",
        "with|along with",
    )
]
_SWAP = {word: group for group in SYNONYMS for word in group if " " not in word}
FILLERS = ("very", "really", "still", "also", "truly", "now", "here", "often", "again", "simply")


def story(rng: random.Random) -> str:
    """A member's story: one sentence from each slot, each phrasing and detail chosen at random."""
    values = {
        "country": rng.choice(COUNTRIES),
        "city": rng.choice(CITIES),
        "specialty": rng.choice(SPECIALTIES),
        "place": rng.choice(PLACES),
        "years": rng.randint(2, 25),
        "town": rng.choice(TOWNS),
        "year": rng.randint(2008, 2025),
        "family": rng.choice(FAMILY),
        "job": rng.choice(JOBS),
        "tries": rng.randint(2, 7),
    }
    text = " ".join(sentence for sentence in (rng.choice(slot).format(**values) for slot in SLOTS) if sentence)
    return " ".join(rng.choice(_SWAP[word]) if word in _SWAP and rng.random() < 0.5 else word for word in text.split())


def edited(text: str, changes: int, rng: random.Random) -> str:
    """`text` with `changes` words replaced, inserted or deleted at random places (a member touching up a copy)."""
    words = text.split()
    for _ in range(changes):
        where = rng.randrange(len(words))
        action = rng.choice(("replace", "insert", "delete"))
        if action == "replace":
            words[where] = rng.choice(FILLERS + TOWNS)
        elif action == "insert":
            words.insert(where, rng.choice(FILLERS))
        elif len(words) > 1:
            del words[where]
    return " ".join(words)


def measure_thresholds(rng: random.Random, stories: int = 1000) -> dict[str, float]:
    """How the thresholds sort synthetic letters: touched-up copies found as near-copies (a band shared and the
    score over NEAR_COPY), and pairs of different stories wrongly flagged. The figures README.md quotes."""
    import numpy as np

    from crm.campaigns import similarity

    originals = [story(rng) for _ in range(stories)]
    signatures = [similarity.signature(text) for text in originals]

    def found(a, b) -> bool:
        shared = any(x == y for x, y in zip(similarity.band_hashes(a), similarity.band_hashes(b), strict=False))
        return shared and float(np.mean(a == b)) >= similarity.NEAR_COPY

    rates = {}
    for low, high in ((1, 2), (3, 6), (7, 10)):
        copies = [similarity.signature(edited(text, rng.randint(low, high), rng)) for text in originals]
        rates[f"near_copy_found_{low}_to_{high}_words_changed"] = round(
            sum(found(a, b) for a, b in zip(signatures, copies, strict=False)) / stories, 4
        )
    pairs = [rng.sample(range(stories), 2) for _ in range(stories * 10)]
    scores = [float(np.mean(signatures[a] == signatures[b])) for a, b in pairs]
    rates["other_story_flagged_near_copy"] = round(sum(s >= similarity.NEAR_COPY for s in scores) / len(scores), 5)
    rates["other_story_flagged_similar"] = round(sum(s >= similarity.SIMILAR for s in scores) / len(scores), 5)
    rates["other_story_score_p99"] = round(float(np.percentile(scores, 99)), 3)
    return rates
