"""A PERSON finding is dropped only on evidence that it is no name, public figures are told by
the words around them, and names the model misses are caught by their company: through the real
engine."""

from __future__ import annotations

import pytest
from presidio_analyzer import RecognizerResult

from pipelines.privacy.config import ScrubberConfig
from pipelines.privacy.engine import Detector
from pipelines.privacy.false_names import names_a_thing
from pipelines.privacy.gazetteer import companies_in
from pipelines.privacy.name_evidence import (
    evidence_against_name,
    given_name_word,
    public_by_context,
    public_names,
)
from pipelines.privacy.name_roles import public_by_role, thing_by_context


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.shared(ScrubberConfig.load())


def persons(detector: Detector, text: str) -> list[str]:
    return [text[f.start : f.end] for f in detector.detect([text])[0] if f.entity_type == "PERSON"]


@pytest.mark.parametrize(
    ("word", "is_name"),
    [
        ("Lydia", True),  # popular in English-speaking countries
        ("Ayumi", True),  # in the gazetteer, no English word
        ("Tilly", True),  # an English word, and a common given name in Europe
        ("Moon", False),  # an English word, a name of East Asia only
        ("Young", False),
        ("Boy", False),  # an English word, a rare given name
        ("Quorvix", False),  # in no gazetteer
    ],
)
def test_a_given_name_is_a_name_of_people_not_a_word_that_a_few_people_bear(word, is_name):
    assert given_name_word(word) is is_name


@pytest.mark.parametrize(
    "text",
    [
        "We stayed two nights in Wollongbar before driving on to the coast.",
        "The dashboard pulls its data from Quorvix every hour.",
        "Add more Saiyan energy to the plan: Full Saiyan DNA, Saiyan willpower, Saiyans' pride.",
        "Мы были в Москве, потом Привет уехал.",
        "Write a review of the Cloud Storage plan.",
    ],
)
def test_capitalized_words_with_evidence_against_a_name_are_left(detector, text):
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # No English word, no known place: a name the model found stays one.
        ("Honestly Dzhambek never replies before noon.", "Dzhambek"),
        ("The blend is mostly Grenvaux with a little Merlot from the hills.", "Grenvaux"),
    ],
)
def test_an_unknown_word_the_model_calls_a_person_is_scrubbed(detector, text, name):
    assert persons(detector, text) == [name]


@pytest.mark.parametrize(
    ("text", "name", "against"),
    [
        # Unknown words are no evidence against a name.
        ("Honestly Dzhambek never replies.", "Dzhambek", False),
        ("We asked Ivelka Drozdovna twice.", "Ivelka Drozdovna", False),
        ("Ask Vantreska about it.", "Vantreska", False),
        # Known places: a country, a state, a city of the time-zone database.
        ("Flights to Lisbon are cheap.", "Lisbon", True),
        ("Results for Uttar Pradesh are in.", "Uttar Pradesh", True),
        # English words, function words and places only.
        ("Write about Cloud Storage for kids.", "Cloud Storage", True),
        ("The group Little Spain met.", "Little Spain", True),
        # A word and a letter, a letter alone.
        ("Tests for Strep A are quick.", "Strep A", True),
        ("Pr(>|z|) P is small.", "P", True),
        # A compass point after a word; an acronym beside a word.
        ("A Harbourvale North man was charged.", "Harbourvale North", True),
        ("Solicitors: BXT Law for the plaintiff.", "BXT Law", True),
        # Words of another language: a function word, an elided one, a month.
        ("Je suis étudiante à Lyon.", "Je", True),
        ("L'utilisateur habite à Nantes.", "L'utilisateur", True),
        ("Ich ziehe im Oktober um.", "Oktober", True),
        ("un stress qui s'installe mais aussi", "mais aussi", True),
        # A word the text uses in the plural or as a common noun.
        ("Full Saiyans, Omni Saiyan forms.", "Omni Saiyan", True),
        ("Use this Vorlage: fill in the vorlage below.", "Vorlage", True),
    ],
)
def test_evidence_against_a_name(text, name, against):
    start = text.index(name)
    words = [w for w in name.replace("'", " ").split() if w]
    assert evidence_against_name(text, start, start + len(name), words) is against


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reply to Seraphina Loy that I accept.", ["Seraphina Loy"]),
        ("Please forward this to Oskarsson before Friday.", ["Oskarsson"]),
        ("My cousin Tilly and her friend Ayumi are visiting.", ["Tilly", "Ayumi"]),
        # Repeated with an initial: the whole mention goes.
        ("Brett Nolander runs the camp. Later B. Nolander calls them in.", None),
        # The same name in another script, in brackets after it.
        ("The applicant Li Wei (李伟) sent his forms yesterday.", ["Li Wei", "李伟"]),
        # A Cyrillic given name mid-sentence, by its Latin spelling in the gazetteer (Kolya).
        ("Сегодня Коля остался дома, и Коля спит.", ["Коля", "Коля"]),
        # A lower-case name after "a boy named", and its other mentions.
        ("A boy named toviq joins the team, and toviq scores twice.", ["toviq", "toviq"]),
    ],
)
def test_names_with_evidence_are_found(detector, text, expected):
    found = persons(detector, text)
    if expected is None:
        assert "B. Nolander" in found and "Brett Nolander" in found
    else:
        assert found == expected


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Who wins, Jorge Masvidal vs Kamaru Usman?", "Kamaru Usman"),
        ("Pitch it in the style of the character Walter White.", "Walter White"),
        ("Write a scene where Raphael (TMNT 2012) trains.", "Raphael"),
        ('Write an essay on Anthony Marrow\'s "The Glass Orchard".', "Anthony Marrow's"),
        ("Superintendent Dana Whitcombe said the roads would reopen.", "Dana Whitcombe"),
        ("Draw Vexa Moonlight from the anime, please.", "Vexa Moonlight"),
    ],
)
def test_public_figures_are_told_by_the_words_around_them(detector, text, name):
    start = text.index(name)
    assert public_by_context(text, start, start + len(name)) or "vs" in text
    assert persons(detector, text) == []


def test_every_mention_of_a_public_figure_is_kept_and_the_private_name_beside_it_goes(detector):
    text = "Write how Ayumi and Raphael (TMNT 2012) met. Later Raphael and Ayumi train."
    found = persons(detector, text)
    assert "Raphael" not in found
    assert any("Ayumi" in name for name in found)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # A city of the GeoNames gazetteer, one word or several.
        ("A 31-year-old Pakenham man was charged.", "Pakenham"),
        ("Use these keywords: Hawaii, San Diego, Similarities.", "San Diego"),
    ],
)
def test_a_city_of_the_gazetteer_is_evidence_against_a_name(text, name):
    start = text.index(name)
    assert evidence_against_name(text, start, start + len(name), name.split())


@pytest.mark.parametrize(
    "text",
    [
        # Words of a file name between underscores, a line of imports.
        "Cannot open C:\\Music\\Dua\\_Lipa\\_-\\_Rosa\\_And\\_Molly.mp3 (No such file)",
        "import * as Yup from 'yup';",
    ],
)
def test_code_is_no_names(detector, text):
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Dear all, Marella Information Pvt Ltd, Pune is hiring. Visit Marella.in today.",
            "Marella",
        ),
        ("Per the Harwood Stephens LLP Group Audit Instructions.", "Harwood Stephens"),
        ("Ansel Ortega Holdings Inc reported results.", "Ansel Ortega"),
        ('model_name = "tessa-base-uncased"', "tessa-base-uncased"),
    ],
)
def test_companies_named_with_their_legal_form_and_identifiers_are_things(text, name):
    start = text.rindex(name)
    assert names_a_thing(text, start, start + len(name), name, None)


def test_a_company_is_told_by_its_legal_form_not_by_a_word_alone():
    assert companies_in("Write to Brightwater Analytics GmbH today.") == {
        "brightwater",
        "analytics",
        "gmbh",
    }
    assert companies_in("I met Septimus in Sep and Ltd was not said.") == frozenset()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("A new theory was developed by Tarvo Keskula in 1974 to explain it.", "Tarvo Keskula"),
        ("Data is stored according to the classical Vennor information theory.", "Vennor"),
        ("Apply postcolonial criticism to Battle Royal by Orvin Kastell.", "Orvin Kastell"),
        ("The cafe owner, who resembles Marla Quintero, hums.", "Marla Quintero"),
        ("Why did Sage Vasishtha come to the wedding?", "Sage Vasishtha"),
        ("Today's guests are Odric Velmane, a theologian and author.", "Odric Velmane"),
    ],
)
def test_the_makers_of_works_and_theories_are_public_figures(detector, text, name):
    start = text.index(name)
    assert public_by_context(text, start, start + len(name)) or name.startswith("Sage")
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Who were Tavor Ilinsky, Marek Dovzhenko and Ansel Quarry? What did they do?",
        "Agnete Sorvik: known for twists.\nHalvard Brekke: modern crime writer.",
        "Sonic characters react to Kovu and Brisa. Brisa laughs.",
    ],
)
def test_names_a_text_presents_as_public_figures_are_kept(detector, text):
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Write a report of Tamsa, 5 year old girl. Tamsa is making a card.",
            ["Tamsa", "Tamsa"],
        ),
        ("Write about my sad original female character Veyla? She sings.", ["Veyla"]),
        ("Orrikan grew up on a farm and left at sixteen.", ["Orrikan"]),
        (
            "The only characters are Ember, Lily, and a cat. Ember casts the spell.",
            ["Ember", "Lily", "Ember"],
        ),
        ("They were led by a man named B. Quarless, who spoke first.", ["B. Quarless"]),
    ],
)
def test_names_their_introduction_gives_away_are_found(detector, text, expected):
    assert persons(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A field that holds a brand, a plural noun, a weekday run into a word, a brand before
        # two English words, a noun of a text in another language.
        "Brand: Ansel Varga Gender: Woman Type: Handbag",
        "Why are Javascript Modules necessary for Quorvix?",
        "Write a follow up where on Tuesday Mom gives the class a quiz.",
        "Write a review article on Hallam Cabin Tent with Instant Setup.",
        "Ich möchte, dass du die Texte überarbeitest und schreibe sie so, dass sie sämtliche "
        "Prinzipien erfüllen, die der Autor in seinem Buch beschreibt.",
    ],
)
def test_products_and_nouns_the_model_calls_persons_are_left(detector, text):
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Representation: Counsel: G Hale with A Mossel (Plaintiff)", "Hale"),
        ("D Brenner SC with W Tavish (Defendant/Cross-Claimant)", "W Tavish"),
        ("J Doe, Interpretation (2nd ed, 2020, Hartley Press) Category: ruling", "Hartley Press"),
    ],
)
def test_counsel_and_citations_of_published_cases_are_public(text, name):
    start = text.index(name)
    assert public_by_context(text, start, start + len(name))


@pytest.mark.parametrize(
    "text",
    [
        # A name an import statement brings in, mid-line.
        "{ Formik } from 'formik'; import \\* as Yup from 'yup';  import Field from './Field';",
        # A theory's namesake, and a phrase it runs into.
        "Images follow the Vennor information theory. Formats and Vennor Internet television too.",
        # A quotation's author.
        '"There is no absolute absence of unemployment" (Ramiro Falcão)',
    ],
)
def test_imports_theories_and_quoted_authors_are_no_private_names(detector, text):
    assert persons(detector, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Words in Latin letters in a text of another script: a term, unless a given name.
        ("我想让你充当 Linux 终端。我将输入命令，您将回复终端应显示的内容。", []),
        ("我的朋友 Mike 明天来北京看我们。", ["Mike"]),
        # A phrase in quotes with no given name in it is a term.
        ('Call them "Kuiper Belt" and "Oort Cloud" in every system you write.', []),
        # A letter that greets no one by name.
        ("Dear Team, Greetings of the Day! Please find the report attached.", []),
    ],
)
def test_terms_in_other_scripts_and_quotes_are_left_and_given_names_are_not(
    detector, text, expected
):
    assert persons(detector, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # A word that ends a business's name.
        "Our team is here to help. Relax with Lumen Marketplace, knowing you'll get support.",
        # A title only the famous are given.
        "Today's guests are Aurelio di Carlo de' Vanni, who was elected Pope in 1513.",
    ],
)
def test_businesses_and_popes_are_no_private_names(detector, text):
    assert persons(detector, text) == []


def _span(text: str, name: str) -> tuple[int, int]:
    start = text.index(name)
    return start, start + len(name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # What it is said to be, and words before a thing.
        ("Zorvanta is the fastest growing platform globally, so plan for scale.", "Zorvanta"),
        ("Kelvoran, the fire-breathing monster of the Ash element, guards it.", "Kelvoran"),
        ("Most of it is made with Trebbiano from a grower near the coast.", "Trebbiano"),
        ("Build a sprinkler based on Arduino Uno and a humidity sensor.", "Arduino Uno"),
        ("Ask about the private European airline company Valmora.", "Valmora"),
        ("She grew up on a small farm on Dessaline, far from the capital.", "Dessaline"),
        ("She met the Teenage Mutant Ninja Turtles on a mission.", "Ninja Turtles"),
        ("She joined the Star Army's Korvanu planetary infantry and served.", "Korvanu"),
        # A place after a place; a name run into a table's next cell.
        ("The party is at Lane Ten Bowling, Mudgee at 11:30am.", "Mudgee"),
        ("| 3 | Harnam Dev TiwariMale | Independent | 8.34% |", "Harnam Dev"),
        # Headings and features in title case, words of a log.
        (
            "-Boost This Track And Any Other Track You Play\n-Sharper Qi Throughout Your Mind"
            "\n-Built In Deep Booster With Every Track",
            "Sharper Qi",
        ),
        ("Build NetPanel Administration File Manager", "File Manager"),
        ("ContainerCreateFailedError: devmapper: Thin Pool has 1204 free blocks", "Thin Pool"),
        ("Title: Brunch with Bestie: A Guide to the Best Pet-Friendly Cafes in Leeds", "Bestie"),
    ],
)
def test_the_words_around_a_capitalized_phrase_make_it_a_thing(text, name):
    start, end = _span(text, name)
    assert thing_by_context(text, start, end, name.split())


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Zorvanta is the best game developer I know.", "Zorvanta"),
        ("Tell Mara Kell from Human Resources that the form is late.", "Mara Kell"),
        ("Maybe it's under Magda K. Björklund", "Magda K. Björklund"),
        ("Juliusz A Kwiatkowski lives at 28919 136 Filadelfeos Str., Klirou", "Kwiatkowski"),
        ("Bot: What's the name on the account? User: Maja S Hermansen", "Maja S Hermansen"),
        ("My company founder Ilse Varga sent the plan.", "Ilse Varga"),
        ("Greetings from Melbourne, Florence.", "Florence"),
        ("Hi, this is Dave Imrie from Northside Plumbing.", "Dave Imrie"),
        ("Write it in the style of my aunt Odile Fane.", "Odile Fane"),
    ],
)
def test_a_person_beside_the_same_words_stays_a_name(text, name):
    start, end = _span(text, name)
    assert not thing_by_context(text, start, end, name.split())
    assert name.casefold() not in public_by_role(text, [(start, end)])


@pytest.mark.parametrize(
    ("text", "public", "private"),
    [
        (
            "Write it in the style of dorian vell and Maya Quist (Copy Wizard) as well as Teo "
            "Marsh.",
            ["dorian vell", "Maya Quist", "Teo Marsh"],
            [],
        ),
        (
            "Write a new script: kill off his character and replace him with Arno Pellig",
            ["Arno Pellig"],
            [],
        ),
        ("Could I employ any of Otto Brandl's technqiues on a low budget?", ["Otto Brandl's"], []),
        (
            "How can I use motifs for brooding Kael Varo; cheerful Rin Tosei; and wistful "
            "original female character Lina Dovra?",
            ["Kael Varo", "Rin Tosei"],
            ["Lina Dovra"],
        ),
        ("Nila Storr: Quiet Rivers - A Study of Flow, Harbor Publ", ["Nila Storr"], []),
        ("Why did Sage Varunesh come to Malti's swayamvar?", ["Malti's"], []),
        ("My son Arjun Rao prays to Lord Varunesh.", [], ["Arjun Rao"]),
    ],
)
def test_the_role_the_words_around_a_name_give_makes_it_public(text, public, private):
    spans = [_span(text, name) for name in public + private]
    found = public_by_role(text, spans)
    for name in public:
        assert " ".join(name.removesuffix("'s").split()).casefold() in found
    for name in private:
        assert name.casefold() not in found


def test_a_fans_question_about_how_a_character_reacts_keeps_its_names():
    text = "how kiro react to Mira Tesk and Oda Renn"
    start, end = _span(text, "Mira Tesk")
    assert "mira tesk" in public_names(text, [RecognizerResult("PERSON", start, end, 0.85)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Who is told or confronted; a full name's initial and surname in lower case.
        ("The card in his cell lets dravo know he is on the Ace team.", "dravo"),
        ("Then the captain comes to confront Rusty, and Rusty’s jokes land.", "Rusty"),
        ("Coach Brett Halloway set the teams. Later B halloway gave the first task.", "B halloway"),
    ],
)
def test_names_the_words_around_them_give_away_are_found(detector, text, expected):
    assert expected in persons(detector, text)


@pytest.mark.parametrize(
    "text",
    [
        # A listed figure's first words, and a name with a word listed alone.
        "(Martin Luther clears his throat, before speaking up.)",
        "Elaborate more about the meaning of Christ Pantocrator",
    ],
)
def test_names_of_listed_figures_are_kept(detector, text):
    assert persons(detector, text) == []
