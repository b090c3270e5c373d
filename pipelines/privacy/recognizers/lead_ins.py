"""Names that their lead-in words announce: "my name is", "my boss", "Dear", "Franciska's kid"."""

from __future__ import annotations

from pipelines.privacy.recognizers.base import CapturedRecognizer

# A capital letter, Latin or accented: "Élodie", "Øyvind".
_UPPER = "[A-ZÀ-ÖØ-Þ]"
# Findings of a name's lead-in score above the NER model's 0.85: Presidio keeps only the higher
# of two findings of the same span, and the lead-in's says that the name is a person's.
LEAD_IN_SCORE = 0.9


def introduced_name_recognizer(supported_language: str = "en") -> CapturedRecognizer:
    """ "My name is Siiri", "Name: Anđa Tomić", "Dear Ms. Rubija": names the NER model misses."""
    return CapturedRecognizer(
        "PERSON",
        "IntroducedNameRecognizer",
        r"(?i:\bmy name is|\bmy name's|\bname:|\bi am called|\bcall me|\bnamed|\bdear|\bsincerely,"
        r"|\bsigns as|\bsigned as|\bsigned by|\bsigns off as|\bmentions"
        r"|\bmaiden name is|\blast name(?: is)?\??|\bsurname(?: is)?\??|\bdirected by:?"
        r"|\bregards,|\bmr\.?|\bmrs\.?|\bms\.?|\bmiss|\bdr\.?|\bprof\.?)\s+"
        rf"(?!(?:Mr|Mrs|Ms|Miss|Dr|Prof)\b)({_UPPER}[^\W\d_]+"
        rf"(?:[ \-](?:[A-Z]\.?\s)?{_UPPER}[^\W\d_]+){{0,3}})",
        LEAD_IN_SCORE,
        supported_language,
    )


# Who a person is to the writer: "my kid Ava", "our tutor Mateo Navarro", "ma soeur Zoe".
_RELATIONS = (
    r"kid|kids|son|daughter|child|baby|boy|girl|sister|brother|sibling|wife|husband|partner|"
    r"fianc[eé]e?|girlfriend|boyfriend|spouse|mom|mum|mother|dad|father|parents?|grandma|"
    r"grandpa|grandmother|grandfather|aunt|uncle|cousin|niece|nephew|friend|buddy|roommate|"
    r"flatmate|neighbou?r|boss|manager|supervisor|colleague|coworker|co-worker|employee|"
    r"assistant|tutor|teacher|professor|student|coach|doctor|therapist|landlord|tenant|client|"
    r"customer|ex|crush|dog|cat|puppy|kitten|"
    # French, Spanish, German, Italian lead-ins, for the non-English messages WildChat holds.
    r"soeur|sœur|fr[eè]re|fille|fils|m[eè]re|p[eè]re|femme|mari|ami|amie|copain|copine|"
    r"hermana|hermano|hija|hijo|madre|padre|esposa|esposo|amigo|amiga|novio|novia|"
    r"schwester|bruder|tochter|sohn|mutter|vater|frau|mann|freund|freundin|"
    r"sorella|fratello|figlia|figlio|moglie|marito"
)


# A capitalized name of up to three words, captured after its lead-in.
_CAPTURED_NAME = rf"\s+({_UPPER}[^\W\d_]+(?:[ \-]{_UPPER}[^\W\d_]+){{0,2}})"
# Lead-ins that announce a name: who the person is to the writer ("my boss Lucas Abbott", "ma
# soeur Zoe"), and self-introductions in the languages users write in ("je m'appelle Lucas").
_NAME_LEAD_INS = (
    (
        "RelationNameRecognizer",
        rf"(?i:\b(?:my|our|his|her|their|ma|mon|mes|mi|mis|meine?|meiner|mia|mio)\s+"
        rf"(?:(?:old|new|little|big|older|younger|best|late|former|dear|petite?|grande?|"
        rf"kleine?r?)\s+)?(?:{_RELATIONS}),?)",
        LEAD_IN_SCORE,
    ),
    (
        "SelfIntroductionRecognizer",
        r"(?i:\bje m['’]appelle|\bmon nom est|\bme llamo|\bmi nombre es|\bich hei(?:ß|ss)e"
        r"|\bmein name ist|\bmi chiamo)",
        LEAD_IN_SCORE,
    ),
)


# Kin and partners, after a possessive name: "Franciska's kid", "I'm Daniel's daughter".
_KIN = (
    r"kids?|sons?|daughters?|child(?:ren)?|baby|sisters?|brothers?|siblings?|wife|husband|"
    r"partner|fianc[eé]e?|girlfriend|boyfriend|mom|mum|mother|dad|father|parents|grandma|grandpa|"
    r"aunt|uncle|cousin|niece|nephew|family|widow|widower"
)


def lead_in_name_recognizers(supported_language: str = "en") -> list[CapturedRecognizer]:
    """One recognizer per kind of lead-in (`_NAME_LEAD_INS`), each explaining its findings,
    and one for a name whose kin follows it ("Franciska's kid")."""
    return [
        *(
            CapturedRecognizer("PERSON", name, lead_in + _CAPTURED_NAME, score, supported_language)
            for name, lead_in, score in _NAME_LEAD_INS
        ),
        CapturedRecognizer(
            "PERSON",
            "KinNameRecognizer",
            rf"\b({_UPPER}[^\W\d_]+)['’]s\s+(?i:{_KIN})\b",
            LEAD_IN_SCORE,
            supported_language,
        ),
    ]
