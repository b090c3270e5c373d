"""The bundled sample: valid against the contract, shaped like the study, reproducible, and its
planted personal data recorded exactly where it sits."""

from __future__ import annotations

import filecmp
import gzip
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.contract.models import DropManifest
from pipelines.contract.tables import RAW_FILES, TABLES
from pipelines.sample import SampleConfig, generate
from pipelines.sample.bad_drops import BAD_LINES, write_bad_drops
from tests.sample.sample_figures import measure, records

SAMPLE = settings.SAMPLE_DROP
PII_MANIFEST = settings.SAMPLE_PII_MANIFEST
BAD_DROPS = settings.SAMPLES_DIR / "bad_drops"
SMALL = {"conversations": 60, "users": 10, "stage2_items": 200, "stage3_items": 20}


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return measure(SAMPLE)


@pytest.fixture(scope="module")
def pii_manifest() -> dict[str, list[dict]]:
    return json.loads(PII_MANIFEST.read_text(encoding="utf-8"))


def _text_fields(folder: Path):
    """(table, key, field, text) of every free-text value, turns keyed by their position."""
    for conversation in records(folder, "conversations"):
        for index, turn in enumerate(conversation["turns"]):
            yield "turns", (conversation["conversation_id"], index), "content", turn["content"]
    for stem in RAW_FILES:
        table = TABLES[stem]
        if stem == "conversations" or not table.text_columns:
            continue
        for record in records(folder, stem):
            key = tuple(record[column] for column in table.key)
            for column in table.text_columns:
                value = record.get(column)
                if isinstance(value, str):
                    yield stem, key, column, value


def _entry_key(entry: dict) -> tuple:
    return (
        entry["table"],
        tuple(entry["key"][c] for c in TABLES[entry["table"]].key),
        entry["field"],
    )


def test_every_record_of_the_sample_validates_against_its_model():
    DropManifest.model_validate_json((SAMPLE / "manifest.json").read_bytes())
    for stem, raw_file in RAW_FILES.items():
        with (SAMPLE / f"{stem}.jsonl").open("rb") as handle:
            lines = handle.readlines()
        assert lines, stem
        for number, line in enumerate(lines, start=1):
            try:
                raw_file.model.model_validate_json(line)
            except ValueError as error:
                pytest.fail(f"{stem}.jsonl line {number}: {error}")


def test_sample_stays_small_enough_to_commit():
    size = sum(path.stat().st_size for path in SAMPLE.iterdir())
    assert size < 12 * 1024 * 1024


def test_users_are_shaped_like_the_study_with_each_filter_rule_failed_by_some():
    users = defaultdict(list)
    for conversation in records(SAMPLE, "conversations"):
        users[conversation.get("user_id") or conversation["hashed_ip"]].append(conversation)
    assert len(users) == 80
    assert sum(len(c) for c in users.values()) == 550
    kinds = Counter(c[0]["source_kind"] for c in users.values())
    assert kinds == {"real": 62, "synthetic": 18}
    failures = Counter()
    for conversations in users.values():
        first = conversations[0]
        if first["source_kind"] == "real":
            assert re.fullmatch(r"[0-9a-f]{64}", first["hashed_ip"]) and "user_id" not in first
            assert {"user-agent", "accept-language"} <= first["header"].keys()
        else:
            assert first["source"] in {"cupid", "personalens", "prefeval"}
            assert first["user_id"].startswith(first["source"] + ":")
        if any(c["language"] != "English" for c in conversations):
            failures["language"] += 1
        elif first.get("header", {}).get("user-agent") == "python-requests/2.31":
            first_turns = {c["turns"][0]["content"].rsplit("Product:", 1)[0] for c in conversations}
            assert len(first_turns) == 1, "a scripted user repeats one template"
            failures["scripted"] += 1
        elif len(conversations) < 3 or sum(len(c["turns"]) for c in conversations) < 15:
            failures["too_few"] += 1
        for conversation in conversations:
            roles = [turn["role"] for turn in conversation["turns"]]
            assert roles == ["user", "assistant"] * (len(roles) // 2)
    assert 2 <= failures["language"] <= 3
    assert failures["scripted"] == 2
    assert 2 <= failures["too_few"] <= 3


def test_every_stage2_item_has_three_humans_and_five_llm_judges_with_consistent_labels():
    kinds = {a["annotator_id"]: a["kind"] for a in records(SAMPLE, "annotators")}
    assert Counter(kinds.values()) == {"human": 12, "llm": 5}
    judges = defaultdict(Counter)
    positive = {"necessary_explicit", "necessary_implicit", "optional"}
    for judgment in records(SAMPLE, "stage2_judgments"):
        kind = kinds[judgment["annotator_id"]]
        judges[(judgment["attribute_id"], judgment["prompt_id"])][kind] += 1
        if kind == "human":
            assert (judgment["rating"] in positive) == judgment["relevant"]
        else:
            assert judgment["raw_answer"] == ("YES" if judgment["relevant"] else "NO")
    assert 3800 <= len(judges) <= 4200
    assert all(counts == {"human": 3, "llm": 5} for counts in judges.values())


def test_stage1_real_users_have_clearly_more_problematic_attributes(figures):
    gap = figures["stage1_real_problematic"] - figures["stage1_synthetic_problematic"]
    assert 0.15 <= gap <= 0.30
    assert figures["stage1_real_rejected"] > figures["stage1_synthetic_rejected"]
    assert 0.45 <= figures["stage1_overgeneralization_share"] <= 0.62


def test_stage2_relevance_rates_and_agreement_match_the_study(figures):
    assert 0.15 <= figures["stage2_human_relevant"] <= 0.25
    llm_rates = [v for k, v in figures.items() if k.startswith("stage2_relevant_llm:")]
    assert len(llm_rates) == 5 and all(0.40 <= rate <= 0.60 for rate in llm_rates)
    assert len({round(rate, 2) for rate in llm_rates}) == 5, "each LLM judge has its own rate"
    assert figures["kappa_human_human"] == pytest.approx(0.43, abs=0.1)
    assert figures["kappa_llm_llm"] == pytest.approx(0.60, abs=0.1)
    assert figures["kappa_human_llm"] == pytest.approx(0.30, abs=0.1)


def test_stage3_humans_rate_lower_than_llm_judges_and_agree_weakly(figures):
    assert 3.0 <= figures["stage3_human_mean"] <= 3.4
    assert 0.45 <= figures["stage3_no_better_share"] <= 0.65
    assert 0.25 <= figures["stage3_explicit_share"] <= 0.45
    for judge in [k.removeprefix("stage3_mean_") for k in figures if k.startswith("stage3_mean_")]:
        assert figures["stage3_human_mean"] < figures[f"stage3_mean_{judge}"] <= 4.1
        assert 0.0 < figures[f"stage3_spearman_{judge}"] < 0.5


def test_generator_is_deterministic(tmp_path):
    for run in ("first", "second"):
        generate(
            SampleConfig(
                out=tmp_path / run / "drop",
                seed=7,
                pii_manifest=tmp_path / run / "pii.json",
                **SMALL,
            )
        )
    first, second = tmp_path / "first", tmp_path / "second"
    names = sorted(p.name for p in (first / "drop").iterdir())
    assert len(names) == len(RAW_FILES) + 1
    _, mismatch, errors = filecmp.cmpfiles(first / "drop", second / "drop", names, shallow=False)
    assert not mismatch and not errors
    assert (first / "pii.json").read_bytes() == (second / "pii.json").read_bytes()


def test_gzip_drop_holds_the_same_records(tmp_path):
    generate(SampleConfig(out=tmp_path / "plain", seed=1, **SMALL))
    generate(SampleConfig(out=tmp_path / "packed", seed=1, gzip=True, **SMALL))
    for stem in RAW_FILES:
        packed = (tmp_path / "packed" / f"{stem}.jsonl.gz").read_bytes()
        assert packed[4:8] == b"\0\0\0\0", "no timestamp in the gzip header"
        assert gzip.decompress(packed) == (tmp_path / "plain" / f"{stem}.jsonl").read_bytes()


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    generate(SampleConfig(out=tmp_path / SAMPLE.name, pii_manifest=tmp_path / "pii.json"))
    names = sorted(p.name for p in SAMPLE.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(SAMPLE, tmp_path / SAMPLE.name, names, shallow=False)
    assert not mismatch and not errors, "stale sample: rerun `python -m pipelines.sample`"
    assert (tmp_path / "pii.json").read_bytes() == PII_MANIFEST.read_bytes()


def test_each_manifest_value_is_found_at_its_offsets(pii_manifest):
    wanted = defaultdict(list)
    for entry in pii_manifest["entities"] + pii_manifest["decoys"]:
        wanted[_entry_key(entry)].append(entry)
    found = 0
    for table, key, column, text in _text_fields(SAMPLE):
        for entry in wanted.pop((table, key, column), []):
            assert text[entry["start"] : entry["end"]] == entry["value"], entry
            found += 1
    assert not wanted, f"entries pointing at no record: {list(wanted)[:3]}"
    assert found == len(pii_manifest["entities"]) + len(pii_manifest["decoys"])


def test_manifest_covers_every_kind_of_personal_data_in_every_text_table(pii_manifest):
    types = Counter(e["entity_type"] for e in pii_manifest["entities"])
    assert set(types) == {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "STREET_ADDRESS",
        "IP_ADDRESS",
        "URL",
        "USERNAME",
        "CREDIT_CARD",
        "US_SSN",
        "IBAN_CODE",
        "SECRET",
        "PLATFORM_ID",
    }
    tables = {e["table"] for e in pii_manifest["entities"]}
    assert {"turns", "attributes", "stage1_judgments", "stage1_reviews", "stage3_items"} <= tables
    decoys = {e["kind"] for e in pii_manifest["decoys"]}
    assert {
        "CODE",
        "FILE_NAME",
        "VERSION",
        "LANGUAGE",
        "DURATION",
        "YEAR",
        "FAMOUS_PERSON",
        "PRIVATE_IP",
    } <= decoys
    assert any(e["value"] == 'pd.read_csv("train.csv")' for e in pii_manifest["decoys"])


def test_no_planted_value_is_left_out_of_the_manifest(pii_manifest):
    covered = defaultdict(list)
    for entry in pii_manifest["entities"]:
        covered[_entry_key(entry)].append((entry["start"], entry["end"]))
    values = sorted({e["value"] for e in pii_manifest["entities"]}, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w@.])(" + "|".join(map(re.escape, values)) + r")(?!\w)")
    unlisted = [
        (table, key, match.group(0))
        for table, key, column, text in _text_fields(SAMPLE)
        for match in pattern.finditer(text)
        if not any(
            s <= match.start() and match.end() <= e for s, e in covered[(table, key, column)]
        )
    ]
    assert not unlisted, unlisted[:5]


def test_private_ips_are_decoys_and_public_ones_are_entities(pii_manifest):
    import ipaddress

    for entry in pii_manifest["entities"]:
        if entry["entity_type"] == "IP_ADDRESS":
            assert ipaddress.ip_address(entry["value"]).is_global
    private = [e for e in pii_manifest["decoys"] if e["kind"] == "PRIVATE_IP"]
    assert private and all(ipaddress.ip_address(e["value"]).is_private for e in private)


def test_cards_and_ibans_pass_their_checksums(pii_manifest):
    def luhn(digits: str) -> bool:
        total = 0
        for position, digit in enumerate(int(d) for d in reversed(digits)):
            doubled = digit * 2 if position % 2 else digit
            total += doubled - 9 if doubled > 9 else doubled
        return total % 10 == 0

    for entry in pii_manifest["entities"]:
        compact = re.sub(r"[\s-]", "", entry["value"])
        if entry["entity_type"] == "CREDIT_CARD":
            assert len(compact) == 16 and luhn(compact), entry["value"]
        elif entry["entity_type"] == "IBAN_CODE":
            rotated = compact[4:] + compact[:4]
            assert int("".join(str(int(c, 36)) for c in rotated)) % 97 == 1, entry["value"]
        elif entry["entity_type"] == "PLATFORM_ID":
            assert re.fullmatch(r"[0-9a-f]{24}", entry["value"])


def test_a_persona_recurs_across_conversations_of_one_user(pii_manifest):
    conversations_of = defaultdict(set)
    for entry in pii_manifest["entities"]:
        if entry["table"] == "turns" and entry["entity_type"] in {"EMAIL_ADDRESS", "PHONE_NUMBER"}:
            conversations_of[entry["value"]].add(entry["key"]["conversation_id"])
    recurring = [value for value, seen in conversations_of.items() if len(seen) >= 3]
    assert len(recurring) >= 50


def test_bad_drops_are_bad_exactly_at_the_lines_the_readme_names(tmp_path):
    written = write_bad_drops(tmp_path)
    for folder in written:
        committed = BAD_DROPS / folder.name
        names = sorted(p.name for p in folder.iterdir())
        _, mismatch, errors = filecmp.cmpfiles(folder, committed, names, shallow=False)
        assert not mismatch and not errors, f"stale {committed}"
    readme = (BAD_DROPS / "README.md").read_text()
    for bad in BAD_LINES:
        assert f"| {bad.drop} | {bad.file} | {bad.line} |" in readme
    bad_at = {(b.drop, b.file, b.line): b for b in BAD_LINES}
    for folder in written:
        for path in sorted(folder.glob("*.jsonl")):
            model = RAW_FILES[path.name.removesuffix(".jsonl")].model
            table = TABLES[path.name.removesuffix(".jsonl")]
            keys_seen: dict[tuple, int] = {}
            for number, line in enumerate(path.read_bytes().splitlines(), start=1):
                bad = bad_at.get((folder.name, path.name, number))
                try:
                    record = model.model_validate_json(line.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    assert bad is not None, (
                        f"{folder.name}/{path.name}:{number} is unexpectedly bad"
                    )
                    continue
                key = tuple(getattr(record, c) for c in table.key)
                if bad is not None and bad.drop == "duplicate-rows":
                    assert key in keys_seen
                elif bad is not None and bad.drop == "missing-reference":
                    attributes = (folder / "attributes.jsonl").read_text()
                    assert f'"{record.attribute_id}"' not in attributes
                else:
                    assert bad is None, f"{folder.name}/{path.name}:{number} should be bad"
                    assert key not in keys_seen
                keys_seen[key] = number
