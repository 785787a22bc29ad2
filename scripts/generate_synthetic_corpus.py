"""Write a synthetic news corpus in the file source's layout (<language>/<COUNTRY>.jsonl), for soak
tests and benchmarks: many partitions, uneven sizes, and a known share of faulty lines of every
reject reason the raw layer knows, so what ingestion should accept and reject is known in advance.

    python scripts/generate_synthetic_corpus.py --out /tmp/corpus --articles 20000 --seed 7

writes 20,000 valid articles over 60 countries and the 12 languages, plus faulty lines making up
--fault-rate (default 5%) of all lines, spread evenly over the reasons. Deterministic for a seed.
Non-English articles carry an English translation (eng_title, eng_text) sentence by sentence, as
AskNews does. The expected counts (overall and per partition) are printed and written to
<out>/manifest.json, which the file source does not read (it only reads <language>/<file>).
Oversized records (over 1 MB each) are not generated: they would dominate the corpus size; the unit
tests cover that reason. Neither are the reasons a line of a well-formed JSONL file cannot cause
alone (an unreadable Parquet file, an id another partition holds, which depends on the order of
runs) nor those the property tests and benchmarks/fuzz_ingest.py cover (dates out of range, broken
URLs, over-long fields, the catch-all), so a seed keeps giving the same corpus and soak figures.

    python scripts/generate_synthetic_corpus.py --realistic --out /tmp/feed --articles 4000 --seed 1

writes a feed shaped like real aggregator output instead: one wire service with most of the
articles, a long tail of countries, files in languages outside the platform's 12 (unroutable),
non-English articles without English, undated wire items, truncation markers ("... [+7013 chars]"),
photo credits and chopped first letters, near-duplicate wire copies, an SPDX `license` on every
record. <out>/truth.jsonl gives every line's story (for topic ARI), artefacts and expected outcome.
"""

from __future__ import annotations

import argparse
import json
import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asknews_assets.ingest.articles import RejectReason
from asknews_assets.ingest.artefacts import clean_artefacts
from asknews_assets.ingest.normalize import clean_text, text_fingerprint
from asknews_assets.partitions import LANGUAGES, ArticlePartition

# Countries per language, each with the city its articles are about: 60 distinct ISO codes.
COUNTRIES_BY_LANGUAGE: dict[str, dict[str, str]] = {
    "en": {"US": "Chicago", "GB": "Manchester", "AU": "Brisbane", "CA": "Toronto", "IE": "Cork", "NZ": "Auckland",
           "IN": "Pune", "ZA": "Durban", "NG": "Lagos", "KE": "Mombasa", "SG": "Singapore", "PH": "Cebu"},
    "es": {"ES": "Valencia", "MX": "Monterrey", "AR": "Rosario", "CO": "Medellín", "CL": "Valparaíso",
           "PE": "Arequipa", "VE": "Maracaibo", "EC": "Guayaquil", "UY": "Salto", "CU": "Camagüey"},
    "pt": {"BR": "Curitiba", "PT": "Porto", "AO": "Benguela", "MZ": "Beira"},
    "de": {"DE": "Leipzig", "AT": "Graz", "CH": "Basel", "LI": "Vaduz"},
    "ru": {"RU": "Kazan", "BY": "Grodno", "KZ": "Almaty", "KG": "Osh"},
    "fr": {"FR": "Lyon", "BE": "Liège", "SN": "Thiès", "CI": "Bouaké", "CM": "Douala", "LU": "Esch-sur-Alzette",
           "MC": "Monaco", "CA": "Québec"},
    "ar": {"EG": "Alexandria", "SA": "Jeddah", "AE": "Sharjah", "JO": "Irbid", "LB": "Tripoli", "QA": "Al Wakrah",
           "IQ": "Basra", "DZ": "Oran", "MA": "Fès", "TN": "Sfax"},
    "it": {"IT": "Bologna", "SM": "Serravalle"},
    "uk": {"UA": "Lviv"},
    "no": {"NO": "Bergen"},
    "sv": {"SE": "Göteborg", "FI": "Vaasa"},
    "da": {"DK": "Aarhus", "GL": "Nuuk", "FO": "Tórshavn"},
}  # fmt: skip

TOPICS = ("Economy", "Health", "Energy", "Education", "Transport")
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("economy", "health", "energy", "education", "transport"),
    "es": ("economía", "salud", "energía", "educación", "transporte"),
    "pt": ("economia", "saúde", "energia", "educação", "transporte"),
    "de": ("Wirtschaft", "Gesundheit", "Energie", "Bildung", "Verkehr"),
    "ru": ("экономика", "здравоохранение", "энергетика", "образование", "транспорт"),
    "fr": ("économie", "santé", "énergie", "éducation", "transports"),
    "ar": ("الاقتصاد", "الصحة", "الطاقة", "التعليم", "النقل"),
    "it": ("economia", "sanità", "energia", "istruzione", "trasporti"),
    "uk": ("економіка", "охорона здоров'я", "енергетика", "освіта", "транспорт"),
    "no": ("økonomi", "helse", "energi", "utdanning", "samferdsel"),
    "sv": ("ekonomi", "hälsa", "energi", "utbildning", "transport"),
    "da": ("økonomi", "sundhed", "energi", "uddannelse", "transport"),
}

# (title, [plan sentence, topic sentence, expectation sentence, criticism sentence], reference sentence).
# Slots: {city}, {n} (a multiple of 5, million), {date}, {topic}, {m} (5-10 months), {ref}.
TEMPLATES: dict[str, tuple[str, tuple[str, str, str, str], str]] = {
    "en": ("{city} approves {n} million plan for “{topic}”", (
        "The city council of {city} approved a plan worth {n} million on {date}.",
        "According to officials, the sector hit hardest is “{topic}”.",
        "Residents and local businesses expect the first results within {m} months.",
        "Critics say the plan does not go far enough, and the debate will continue next week.",
    ), "Report number {ref}."),
    "es": ("{city} aprueba un plan de {n} millones para «{topic}»", (
        "El ayuntamiento de {city} aprobó un plan de {n} millones el {date}.",
        "Según las autoridades, el sector más afectado es «{topic}».",
        "Los vecinos y los comercios locales esperan los primeros resultados en {m} meses.",
        "Los críticos afirman que el plan se queda corto, y el debate continuará la próxima semana.",
    ), "Informe número {ref}."),
    "pt": ("{city} aprova plano de {n} milhões para «{topic}»", (
        "A câmara municipal de {city} aprovou um plano de {n} milhões em {date}.",
        "Segundo as autoridades, o setor mais afetado é «{topic}».",
        "Moradores e comerciantes locais esperam os primeiros resultados dentro de {m} meses.",
        "Os críticos dizem que o plano fica aquém do necessário, e o debate continua na próxima semana.",
    ), "Relatório número {ref}."),
    "de": ("{city} beschließt Plan über {n} Millionen für „{topic}“", (
        "Der Stadtrat von {city} hat am {date} einen Plan über {n} Millionen beschlossen.",
        "Nach Angaben der Behörden ist der Bereich „{topic}“ am stärksten betroffen.",
        "Anwohner und örtliche Betriebe erwarten erste Ergebnisse innerhalb von {m} Monaten.",
        "Kritiker halten den Plan für unzureichend, die Debatte geht in der kommenden Woche weiter.",
    ), "Bericht Nummer {ref}."),
    "ru": ("Власти города {city} утвердили план на {n} миллионов для сферы «{topic}»", (
        "Городской совет города {city} {date} утвердил план стоимостью {n} миллионов.",
        "По словам чиновников, сильнее всего затронута сфера «{topic}».",
        "Жители и местный бизнес ожидают первых результатов в течение {m} месяцев.",
        "Критики считают план недостаточным, и обсуждение продолжится на следующей неделе.",
    ), "Отчёт номер {ref}."),
    "fr": ("{city} adopte un plan de {n} millions pour « {topic} »", (
        "Le conseil municipal de {city} a approuvé le {date} un plan de {n} millions.",
        "Selon les autorités, le secteur le plus touché est « {topic} ».",
        "Les habitants et les commerces locaux attendent les premiers résultats d'ici {m} mois.",
        "Les critiques jugent le plan insuffisant, et le débat se poursuivra la semaine prochaine.",
    ), "Rapport numéro {ref}."),
    "ar": ("{city} تقر خطة بقيمة {n} مليون لقطاع «{topic}»", (
        "وافق المجلس البلدي في {city} يوم {date} على خطة بقيمة {n} مليون.",
        "وبحسب المسؤولين، فإن القطاع الأكثر تأثرا هو «{topic}».",
        "ويتوقع السكان والشركات المحلية ظهور النتائج الأولى خلال {m} أشهر.",
        "ويرى المنتقدون أن الخطة غير كافية، وسيستمر النقاش الأسبوع المقبل.",
    ), "تقرير رقم {ref}."),
    "it": ("{city} approva un piano da {n} milioni per «{topic}»", (
        "Il consiglio comunale di {city} ha approvato il {date} un piano da {n} milioni.",
        "Secondo le autorità, il settore più colpito è «{topic}».",
        "Residenti e attività locali attendono i primi risultati entro {m} mesi.",
        "I critici ritengono il piano insufficiente e il dibattito proseguirà la prossima settimana.",
    ), "Rapporto numero {ref}."),
    "uk": ("Місто {city} ухвалило план на {n} мільйонів для сфери «{topic}»", (
        "Міська рада міста {city} {date} затвердила план вартістю {n} мільйонів.",
        "За словами посадовців, найбільше постраждала сфера «{topic}».",
        "Мешканці та місцевий бізнес очікують перших результатів протягом {m} місяців.",
        "Критики вважають план недостатнім, а обговорення продовжиться наступного тижня.",
    ), "Звіт номер {ref}."),
    "no": ("{city} vedtar plan på {n} millioner for «{topic}»", (
        "Bystyret i {city} vedtok {date} en plan på {n} millioner.",
        "Ifølge myndighetene er sektoren «{topic}» hardest rammet.",
        "Innbyggere og lokale bedrifter venter de første resultatene innen {m} måneder.",
        "Kritikere mener planen ikke går langt nok, og debatten fortsetter neste uke.",
    ), "Rapport nummer {ref}."),
    "sv": ("{city} antar plan på {n} miljoner för ”{topic}”", (
        "Kommunfullmäktige i {city} antog {date} en plan på {n} miljoner.",
        "Enligt myndigheterna är sektorn ”{topic}” hårdast drabbad.",
        "Invånare och lokala företag väntar på de första resultaten inom {m} månader.",
        "Kritiker menar att planen inte räcker, och debatten fortsätter nästa vecka.",
    ), "Rapport nummer {ref}."),
    "da": ("{city} vedtager plan på {n} millioner for »{topic}«", (
        "Byrådet i {city} vedtog {date} en plan på {n} millioner.",
        "Ifølge myndighederne er sektoren »{topic}« hårdest ramt.",
        "Borgere og lokale virksomheder venter de første resultater inden for {m} måneder.",
        "Kritikere mener, at planen ikke går langt nok, og debatten fortsætter i næste uge.",
    ), "Rapport nummer {ref}."),
}  # fmt: skip

WINDOW_START = datetime(2024, 2, 20, tzinfo=timezone.utc)
WINDOW_DAYS = 41  # 2024-02-20 .. 2024-03-31, the recipe's window
UTC_OFFSETS = ("+00:00", "+01:00", "+02:00", "-05:00", "+03:00", "Z")
TOO_LONG_CHARS = 55_000  # over raw_articles' default max_text_chars (50,000)

# Every reject reason the raw layer has, except those listed here (see the module docstring).
NOT_GENERATED = frozenset(
    {
        RejectReason.RECORD_TOO_LARGE,
        RejectReason.DATE_OUT_OF_RANGE,
        RejectReason.INVALID_URL,
        RejectReason.FIELD_TOO_LONG,
        RejectReason.UNREADABLE_FILE,
        RejectReason.UNUSABLE_RECORD,
        RejectReason.ID_IN_OTHER_PARTITION,
    }
)
FAULT_REASONS: tuple[RejectReason, ...] = tuple(r for r in RejectReason if r not in NOT_GENERATED)
DUPLICATES = (RejectReason.DUPLICATE_ID, RejectReason.DUPLICATE_URL, RejectReason.DUPLICATE_TEXT)


def select_partitions(countries: int) -> list[ArticlePartition]:
    """Language x country pairs, taken round-robin over the languages until `countries` distinct countries."""
    queues = {language: list(COUNTRIES_BY_LANGUAGE[language]) for language in LANGUAGES}
    chosen: list[ArticlePartition] = []
    seen: set[str] = set()
    while len(seen) < countries and any(queues.values()):
        for language in LANGUAGES:
            if queues[language] and len(seen) < countries:
                country = queues[language].pop(0)
                chosen.append(ArticlePartition(country, language))
                seen.add(country)
    if len(seen) < countries:
        raise ValueError(f"at most {len(seen)} countries are available, asked for {countries}")
    return chosen


@dataclass
class PartitionPlan:
    partition: ArticlePartition
    valid: list[dict] = field(default_factory=list)
    faults: list[tuple[int, RejectReason, bytes]] = field(default_factory=list)  # (insert position, reason, line)


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "-".join(ascii_name.lower().split())


def make_article(rng: random.Random, partition: ArticlePartition, number: int) -> dict:
    language, country = partition.language, partition.country
    city = COUNTRIES_BY_LANGUAGE[language][country]
    topic = rng.randrange(len(TOPICS))
    published = WINDOW_START + timedelta(seconds=rng.randrange(WINDOW_DAYS * 86_400))
    slots = {"city": city, "n": 5 * rng.randint(2, 100), "date": published.date().isoformat(), "m": rng.randint(5, 10),
             "ref": f"{country}-{language}-{number:07d}"}  # fmt: skip
    order = [0, *rng.sample([1, 2, 3], 3)]  # the plan first, then the rest in any order

    def render(lang: str) -> tuple[str, str]:
        title, sentences, reference = TEMPLATES[lang]
        values = {**slots, "topic": TOPIC_WORDS[lang][topic]}
        text = " ".join(sentences[i].format(**values) for i in order) + " " + reference.format(**values)
        return title.format(**values), text

    title, text = render(language)
    record = {
        "article_id": f"syn-{country}-{language}-{number:07d}",
        "article_url": f"https://{_slug(city)}-news.example/{language}/{number:07d}",
        "source_id": f"{city} Courier {rng.randint(1, 3)}",
        "country": country,
        "language": language,
        "pub_date": published.isoformat().replace("+00:00", rng.choice(UTC_OFFSETS)),
        "title": title,
        "text": text,
        "classification": TOPICS[topic],
    }
    if language != "en":
        record["eng_title"], record["eng_text"] = render("en")
    return record


def _json_line(record: object) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


def make_fault(rng: random.Random, reason: RejectReason, plan: PartitionPlan, number: int) -> tuple[int, bytes]:
    """A line that raw_articles rejects for exactly `reason`, and where to insert it among the valid rows."""
    partition = plan.partition
    fresh = make_article(rng, partition, number)
    anywhere = rng.randint(0, len(plan.valid))
    if reason in DUPLICATES:
        original_index = rng.randrange(len(plan.valid))
        original = plan.valid[original_index]
        after = rng.randint(original_index + 1, len(plan.valid))  # a duplicate only counts after its original
        if reason is RejectReason.DUPLICATE_ID:
            fresh["article_id"] = original["article_id"]
        elif reason is RejectReason.DUPLICATE_URL:
            fresh["article_url"] = original["article_url"] + "?utm_source=newsletter"  # same canonical URL
        else:
            fresh["text"] = "  " + original["text"].upper() + "\n"  # same text once case and spacing are folded
        return after, _json_line(fresh)
    if reason is RejectReason.INVALID_JSON:
        cut = json.dumps(fresh, ensure_ascii=False)[: rng.randint(10, 80)]  # cut between characters, not bytes
        return anywhere, cut.encode("utf-8")
    if reason is RejectReason.NOT_AN_OBJECT:
        return anywhere, _json_line([fresh["article_id"], fresh["title"]])
    if reason is RejectReason.INVALID_ENCODING:
        garbage = bytes(b for b in rng.randbytes(rng.randint(20, 400)) if b not in b"\r\n")
        return anywhere, b"\xff" + garbage  # 0xff never occurs in UTF-8
    if reason is RejectReason.MISSING_FIELD:
        del fresh[rng.choice(["text", "pub_date", "article_url"])]
    elif reason is RejectReason.INVALID_FIELD:
        fresh["text"] = [fresh["text"]]
    elif reason is RejectReason.INVALID_DATE:
        fresh["pub_date"] = rng.choice(["2024-13-45", "yesterday", "31/03/2024"])
    elif reason is RejectReason.EMPTY_TEXT:
        fresh["text"] = "<p> </p><script>var x = 1;</script>"
    elif reason is RejectReason.TEXT_TOO_LONG:
        fresh["text"] = (fresh["text"] + " ") * (TOO_LONG_CHARS // len(fresh["text"]) + 1)
    elif reason is RejectReason.UNKNOWN_LANGUAGE:
        fresh["language"] = rng.choice(["xx", "zh", "english"])
    elif reason is RejectReason.INVALID_COUNTRY:
        fresh["country"] = rng.choice(["ZZ", "USA", "1"])
    elif reason is RejectReason.LANGUAGE_MISMATCH:
        fresh["language"] = rng.choice([language for language in LANGUAGES if language != partition.language])
    elif reason is RejectReason.COUNTRY_MISMATCH:
        fresh["country"] = "AQ" if partition.country != "AQ" else "BV"
    else:
        raise ValueError(f"no generator for {reason}")
    return anywhere, _json_line(fresh)


def _allocate(total: int, weights: list[float]) -> list[int]:
    """`total` split by weights (largest remainder), at least one each."""
    base = [1] * len(weights)
    spare = total - len(weights)
    shares = [spare * w / sum(weights) for w in weights]
    counts = [int(share) for share in shares]
    for i in sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])[: spare - sum(counts)]:
        counts[i] += 1
    return [b + c for b, c in zip(base, counts)]


def generate(out: Path, articles: int, countries: int = 60, seed: int = 0, fault_rate: float = 0.05) -> dict:
    """Write `articles` valid articles plus faulty lines (`fault_rate` of all lines) under `out`.

    Returns the manifest of expected counts, also written to <out>/manifest.json.
    """
    if not 0 <= fault_rate < 1:
        raise ValueError("--fault-rate must be in [0, 1)")
    rng = random.Random(seed)
    partitions = select_partitions(countries)
    valid = articles
    faulty = round(articles * fault_rate / (1 - fault_rate))
    if valid < len(partitions):
        raise ValueError(f"{articles} articles cannot fill {len(partitions)} partitions")
    # Uneven partition sizes, as in real news: a few large countries, a long tail.
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(partitions))]
    rng.shuffle(weights)
    plans = [PartitionPlan(p) for p in partitions]
    number = 0
    for plan, count in zip(plans, _allocate(valid, weights)):
        for _ in range(count):
            number += 1
            plan.valid.append(make_article(rng, plan.partition, number))
    for index in range(faulty):
        reason = FAULT_REASONS[index % len(FAULT_REASONS)]
        plan = rng.choices(plans, weights=weights)[0]
        number += 1
        position, line = make_fault(rng, reason, plan, number)
        plan.faults.append((position, reason, line))

    per_partition = {}
    for plan in plans:
        path = out / plan.partition.language / f"{plan.partition.country}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        inserts = sorted(enumerate(plan.faults), key=lambda item: (item[1][0], item[0]))
        with path.open("wb") as handle:
            pending = iter(inserts)
            upcoming = next(pending, None)
            for position in range(len(plan.valid) + 1):
                while upcoming is not None and upcoming[1][0] == position:
                    handle.write(upcoming[1][2] + b"\n")
                    upcoming = next(pending, None)
                if position < len(plan.valid):
                    handle.write(_json_line(plan.valid[position]) + b"\n")
        rejected = Counter(reason.value for _, reason, _ in plan.faults)
        per_partition[str(plan.partition)] = {
            "lines": len(plan.valid) + len(plan.faults),
            "accepted": len(plan.valid),
            "rejected": dict(sorted(rejected.items())),
        }
    manifest = {
        "seed": seed,
        "lines": valid + faulty,
        "fault_rate": fault_rate,
        "languages": sorted({p.language for p in partitions}),
        "countries": sorted({p.country for p in partitions}),
        "partitions": len(partitions),
        "expected_accepted": valid,
        "expected_rejected": dict(sorted(Counter(r.value for p in plans for _, r, _ in p.faults).items())),
        "per_partition": per_partition,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


# --- Realistic mode -------------------------------------------------------------------------------
# A feed shaped like real aggregator output instead of a balanced one: one wire service with most of
# the articles, a long tail of countries, languages outside the platform's 12, non-English articles
# without English, undated wire items, aggregator artefacts (truncation markers, photo credits, a
# chopped first letter), near-duplicate wire copies, a licence on every record, and a ground-truth
# story per article (<out>/truth.jsonl) so topic clustering can be scored (ARI against story_id).

WIRE = "Global Wire Service"
AGGREGATORS = ("Daily Digest Aggregator", "NewsFeed Hub")
# Languages outside the platform's set, with the country and city their files are about.
FOREIGN: dict[str, dict[str, str]] = {
    "nl": {"NL": "Rotterdam", "BE": "Antwerpen"},
    "pl": {"PL": "Kraków"},
    "tr": {"TR": "İzmir"},
    "id": {"ID": "Surabaya"},
    "zh": {"CN": "Chengdu", "TW": "Taichung"},
    "ja": {"JP": "Osaka"},
}
FOREIGN_TEMPLATES: dict[str, tuple[str, str]] = {
    "nl": ("{city} keurt plan van {n} miljoen goed", "De gemeenteraad van {city} heeft op {date} een plan van {n} miljoen goedgekeurd. {person} van {org} noemt het een belangrijke stap. Critici vinden dat het plan niet ver genoeg gaat."),
    "pl": ("{city} przyjmuje plan za {n} milionów", "Rada miasta {city} przyjęła {date} plan o wartości {n} milionów. {person} z {org} nazywa go ważnym krokiem. Krytycy uważają, że plan nie idzie wystarczająco daleko."),
    "tr": ("{city} {n} milyonluk planı onayladı", "{city} belediye meclisi {date} tarihinde {n} milyonluk bir planı onayladı. {org} adına konuşan {person}, bunun önemli bir adım olduğunu söyledi. Eleştirmenler planın yetersiz olduğunu düşünüyor."),
    "id": ("{city} menyetujui rencana senilai {n} juta", "Dewan kota {city} menyetujui rencana senilai {n} juta pada {date}. {person} dari {org} menyebutnya langkah penting. Para pengkritik menilai rencana itu belum cukup."),
    "zh": ("{city}批准{n}百万计划", "{city}市议会于{date}批准了一项价值{n}百万的计划。{org}的{person}称这是重要的一步。批评者认为该计划力度不够。"),
    "ja": ("{city}、{n}百万の計画を承認", "{city}市議会は{date}に{n}百万規模の計画を承認した。{org}の{person}は重要な一歩だと述べた。批判的な人々は計画が不十分だとしている。"),
}  # fmt: skip

# Story themes, in English (the text every embedding and summary works on). Each story is a theme set
# in one city with its own people and organisation; its articles vary order, figures and wording.
# (category, index into TOPICS for the non-English template, headline, sentences)
THEMES: tuple[tuple[str, int, str, tuple[str, ...]], ...] = (
    ("Health", 1, "{city} confirms {n} dengue cases as {org} vaccine arrives", (
        "Health officials in {city} confirmed {n} dengue cases on {date}, nearly three times last year's figure.",
        "The first doses of a vaccine made by {org} are due within {m} weeks, {person} said.",
        "Brigades are removing tyres and buckets where mosquitoes breed in the worst-hit districts.",
        "Hospitals have opened extra wards for patients with fever and joint pain.",
        "Doctors warn that the rainy season could push the number of infections higher still.")),
    ("Economy", 0, "Dock workers strike at the port of {city} over pay", (
        "Dock workers at the port of {city} walked out on {date}, leaving {n} container ships waiting offshore.",
        "The union led by {person} demands a pay rise and safer night shifts.",
        "{org}, which runs the terminals, says the strike costs exporters millions every day.",
        "Talks between the union and the port operator broke down after {m} hours.",
        "Farmers fear their fruit will rot on the quay before the cranes move again.")),
    ("Politics", 0, "{person} wins mayoral run-off in {city}", (
        "{person} won the run-off for mayor of {city} on {date} with {n} thousand votes.",
        "Turnout rose sharply in the outer districts, where the campaign promised new bus lines.",
        "The defeated candidate, backed by {org}, conceded before midnight.",
        "The new mayor pledged to publish every city contract online within {m} months.",
        "Observers from the electoral commission reported no serious irregularities.")),
    ("Environment", 2, "Wildfire forces thousands to flee near {city}", (
        "A wildfire near {city} forced {n} hundred residents from their homes on {date}.",
        "Strong winds pushed the flames across dry pine forest towards the motorway.",
        "Firefighters from {org} dropped water from helicopters throughout the night.",
        "{person}, the regional fire chief, said the blaze was only partly contained.",
        "Schools in the valley will stay closed for at least {m} days.")),
    ("Economy", 0, "Central bank holds rates as inflation cools in {city} region", (
        "The central bank kept its main interest rate unchanged on {date}, citing cooling inflation.",
        "Governor {person} said prices rose {m} percent over the year, the slowest pace since 2021.",
        "Economists at {org} had expected a cut and called the decision cautious.",
        "Mortgage holders in {city} will wait longer for relief on monthly payments.",
        "The bank signalled that a cut of {n} basis points remains possible in the summer.")),
    ("Sports", 3, "{city} club lifts the cup after penalty shoot-out", (
        "The football club of {city} won the cup final on {date} after a penalty shoot-out.",
        "Goalkeeper {person} saved two penalties in front of {n} thousand fans.",
        "The match had ended level after extra time, with both teams down to ten players.",
        "Sponsors including {org} announced bonuses for the squad.",
        "The team will parade through the old town in an open-top bus in {m} days.")),
    ("Technology", 2, "{org} to build chip factory outside {city}", (
        "{org} announced on {date} that it will build a semiconductor factory outside {city}.",
        "The plant will cost {n} million and employ about two thousand people.",
        "{person}, the company's chief executive, said production should start within {m} years.",
        "Environmental groups question how much water the factory will draw from the river.",
        "The regional government is offering tax breaks and a new rail link to the site.")),
    ("Environment", 2, "Drought empties reservoirs around {city}", (
        "Reservoirs around {city} fell to {m} percent of capacity on {date}, the lowest level on record.",
        "Water utility {org} imposed night-time cuts on {n} thousand households.",
        "Farmers say the wheat harvest is already lost in the southern valleys.",
        "{person}, a hydrologist, warned that the aquifers need years to recover.",
        "Authorities banned filling swimming pools and washing cars with hoses.")),
    ("Politics", 4, "Train derails near {city}, injuring dozens", (
        "A passenger train derailed near {city} on {date}, injuring {n} people.",
        "Investigators from {org} are examining a section of track repaired last month.",
        "Transport minister {person} promised a full inquiry within {m} weeks.",
        "Rescue teams worked through the night to free passengers from the overturned carriages.",
        "Rail traffic on the main line will be diverted for several days.")),
    ("Science", 2, "{org} launches weather satellite from {city} spaceport", (
        "{org} launched a weather satellite from the spaceport at {city} on {date}.",
        "The satellite will map rainfall and soil moisture every {m} hours.",
        "Mission director {person} said the rocket placed it in orbit after {n} minutes.",
        "Meteorologists expect better warnings of floods and storms from next year.",
        "The launch was delayed twice last week because of high winds.")),
    ("Culture", 3, "Stolen paintings recovered after museum heist in {city}", (
        "Police in {city} recovered {n} paintings stolen from the city museum, they said on {date}.",
        "The works had been taken during a night-time break-in {m} weeks ago.",
        "{person}, the museum's director, said the canvases were only slightly damaged.",
        "Detectives traced the paintings through an auction house linked to {org}.",
        "The museum plans to reopen the gallery with new alarms next month.")),
    ("Education", 3, "Teachers in {city} strike over class sizes", (
        "Teachers in {city} went on strike on {date}, closing {n} schools.",
        "The teachers' union, led by {person}, wants classes capped at twenty-five pupils.",
        "{org} said parents should arrange childcare for at least {m} days.",
        "Students joined the rally outside the education ministry with homemade banners.",
        "The government offered a small pay rise but refused to discuss class sizes.")),
)  # fmt: skip

FIRST_NAMES = ("Ana", "Tomas", "Leila", "Mateo", "Ingrid", "Kwame", "Yara", "Pavel", "Sofia", "Hugo", "Nadia",
               "Emeka", "Lucia", "Oskar", "Amira", "Diego", "Marta", "Kenji", "Elif", "Rafael")  # fmt: skip
SURNAMES = ("Okafor", "Lindqvist", "Haddad", "Moreau", "Petrenko", "Castillo", "Brandt", "Rossi", "Nakamura",
            "Silva", "Kowal", "Mensah", "Duarte", "Vogel", "Ferreira", "Aydin", "Novak", "Quispe")  # fmt: skip
ORG_PARTS = (("Veridia", "Northwind", "Solara", "Kestrel", "Aurum", "Bluefield", "Tessaro", "Maren", "Orbis", "Calder"),
             ("Biologics", "Logistics", "Holdings", "Institute", "Systems", "Group", "Partners", "Works", "Labs", "Trust"))  # fmt: skip

# SPDX identifiers of the outlets' licences; the wire service's comes first.
DEFAULT_LICENSES = ("CC-BY-4.0", "CC-BY-SA-4.0")
TRUNCATION_MARKERS = ("... [+{n} chars]", "… [+{n} chars]", " [+{n} chars]")
CREDITS = ("Photo: {person}/{outlet}", "(Photo by {person}/{outlet})", "Image credit: {outlet}",
           "FILE PHOTO: {person}/{outlet}")  # fmt: skip
FOREIGN_CITIES = {city for countries in FOREIGN.values() for city in countries.values()}


@dataclass
class Story:
    story_id: str
    theme: int
    city: str
    person: str
    org: str
    date: datetime


def _realistic_partitions() -> list[tuple[str, str]]:
    """(language, country) of every place an outlet publishes from, supported or not, largest first."""
    places = [("en", "US"), ("en", "GB"), ("es", "MX"), ("fr", "FR"), ("de", "DE"), ("en", "IN")]
    for language in (*LANGUAGES, *FOREIGN):
        for country in (COUNTRIES_BY_LANGUAGE.get(language) or FOREIGN[language]):
            if (language, country) not in places:
                places.append((language, country))
    return places


def _render_story(rng: random.Random, story: Story, language: str, country: str, ref: str) -> dict:
    """Title and text of one article about `story` in `language` (plus English for a supported one)."""
    category, topic, headline, sentences = THEMES[story.theme]
    slots = {"city": story.city, "person": story.person, "org": story.org, "n": 5 * rng.randint(2, 100),
             "m": rng.randint(2, 12), "date": story.date.date().isoformat(), "ref": ref}  # fmt: skip
    order = [0, *rng.sample(range(1, len(sentences)), len(sentences) - 1)]
    kept = order[: rng.randint(3, len(sentences))]
    english_title = headline.format(**slots)
    english_text = " ".join(sentences[i].format(**slots) for i in kept) + f" Report number {ref}."
    out = {"classification": category}
    if language == "en":
        out["title"], out["text"] = english_title, english_text
    elif language in FOREIGN_TEMPLATES:
        title, text = FOREIGN_TEMPLATES[language]
        out["title"], out["text"] = title.format(**slots), text.format(**slots) + f" {ref}"
    else:
        title, local, reference = TEMPLATES[language]
        values = {**slots, "topic": TOPIC_WORDS[language][topic]}
        out["title"] = title.format(**values)
        body = " ".join(local[i].format(**values) for i in (0, 1, 2, 3))
        out["text"] = f"{body} {story.person}, {story.org}. {reference.format(**values)}"
        out["eng_title"], out["eng_text"] = english_title, english_text
    return out


def _add_artefacts(rng: random.Random, record: dict, outlet: str, chances: dict[str, float]) -> list[str]:
    """Aggregator damage on text (and eng_text alike): credit line, chopped first letter, truncation."""
    found = []
    credit = None
    if rng.random() < chances["credit"]:
        credit = rng.choice(CREDITS).format(person=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", outlet=outlet)
        found.append("credit")
    chop = rng.random() < chances["chopped"]
    truncate_at = None
    if rng.random() < chances["truncated"]:
        truncate_at = rng.randint(120, 220)
        found.append("truncated")
    if chop:
        found.append("chopped")
    for name in ("text", "eng_text"):
        value = record.get(name)
        if not value:
            continue
        if chop:
            value = value[1:]
        if truncate_at is not None and len(value) > truncate_at + 20:
            cut = value.rfind(" ", 0, truncate_at)
            hidden = len(value) - cut + rng.randint(500, 8000)  # the aggregator hides the rest of the full article
            value = value[:cut] + rng.choice(TRUNCATION_MARKERS).format(n=hidden)
        if credit is not None:
            value = f"{credit}\n{value}" if rng.random() < 0.5 else f"{value}\n{credit}"
        record[name] = value
    return found


def generate_realistic(
    out: Path,
    articles: int = 4_000,
    seed: int = 0,
    stories: int = 36,
    licenses: tuple[str, ...] = DEFAULT_LICENSES,
    english_share: float = 0.55,
) -> dict:
    """Write about `articles` records shaped like a real mixed feed under `out`.

    `english_share` is the share of supported non-English articles that carry an English
    translation. Returns the manifest (expected outcome counts), also written to <out>/manifest.json;
    <out>/truth.jsonl has one line per generated record: where it is, its story and theme, and the
    outcome the raw layer should give it (accepted, a reject reason, or unroutable).
    """
    if stories < 1 or articles < stories:
        raise ValueError("need at least one story and one article per story")
    if not licenses:
        raise ValueError("give at least one licence")
    rng = random.Random(seed)
    places = _realistic_partitions()
    # One dominant place, then a long tail.
    place_weights = [1 / (rank + 1) ** 1.3 for rank in range(len(places))]
    cities = [city for language in LANGUAGES for city in COUNTRIES_BY_LANGUAGE[language].values()]
    story_list = [
        Story(f"story-{index:03d}", index % len(THEMES), rng.choice(cities),
              f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}", f"{rng.choice(ORG_PARTS[0])} {rng.choice(ORG_PARTS[1])}",
              WINDOW_START + timedelta(days=rng.randrange(WINDOW_DAYS - 3)))
        for index in range(stories)
    ]  # fmt: skip
    story_weights = [1 / (rank + 1) ** 0.9 for rank in range(stories)]
    outlets_by_place: dict[tuple[str, str], list[str]] = {}
    for language, country in places:
        city = (COUNTRIES_BY_LANGUAGE.get(language) or FOREIGN[language])[country]
        outlets_by_place[(language, country)] = [f"{city} {kind}" for kind in ("Courier", "Herald", "Post")]
    outlet_license = {WIRE: licenses[0]}
    for index, outlet in enumerate(sorted({o for outlets in outlets_by_place.values() for o in outlets} | set(AGGREGATORS))):
        outlet_license[outlet] = licenses[index % len(licenses)]

    lines_by_file: dict[str, list[bytes]] = {}
    truth: list[dict] = []
    accepted_hashes: dict[str, set[str]] = {}
    cleaned_hashes: dict[str, set[str]] = {}
    wire_texts: list[tuple[dict, str, list[str]]] = []  # wire records other outlets may copy: record, story, artefacts
    number = 0

    def emit(file: str, record: dict | None, line: bytes, facts: dict) -> None:
        lines = lines_by_file.setdefault(file, [])
        lines.append(line)
        truth.append({"location": f"{file}:{len(lines)}", "article_id": (record or {}).get("article_id"), **facts})

    chances = {"credit": 0.35, "chopped": 0.15, "truncated": 0.6}
    while number < articles:
        number += 1
        language, country = rng.choices(places, weights=place_weights)[0]
        story = rng.choices(story_list, weights=story_weights)[0]
        supported = language in LANGUAGES
        file = f"{language}/{country}.jsonl"
        roll = rng.random()
        outlet = WIRE if roll < 0.6 else rng.choice(AGGREGATORS) if roll < 0.8 else rng.choice(outlets_by_place[(language, country)])
        ref = f"{country}{number:06d}"
        published = story.date + timedelta(hours=rng.randint(0, 72), minutes=rng.randint(0, 59))
        record = {
            "article_id": f"rl-{number:07d}",
            "article_url": f"https://{_slug(outlet)}.example/{language}/{story.story_id}/{number:07d}",
            "source_id": outlet,
            "country": country,
            "language": language,
            "pub_date": published.isoformat().replace("+00:00", rng.choice(UTC_OFFSETS)),
            **_render_story(rng, story, language, country, ref),
            "license": outlet_license[outlet],
        }
        facts: dict = {"story_id": story.story_id, "theme": THEMES[story.theme][0], "outlet": outlet,
                       "language": language, "country": country, "artefacts": [], "near_duplicate_of": None}  # fmt: skip
        if supported and language != "en" and rng.random() >= english_share:
            del record["eng_title"], record["eng_text"]
        # A copy of an earlier wire story re-published by another outlet, lightly edited.
        if outlet != WIRE and supported and wire_texts and rng.random() < 0.15:
            original, original_story, inherited = rng.choice(wire_texts)
            if original["language"] == language:
                for name in ("title", "text", "eng_title", "eng_text", "classification"):
                    record.pop(name, None)
                    if name in original:
                        record[name] = original[name]
                record["text"] = f"({WIRE}) — {original['text']}"
                if "eng_text" in record:
                    record["eng_text"] = f"({WIRE}) — {original['eng_text']}"
                facts.update(story_id=original_story, near_duplicate_of=original["article_id"], artefacts=list(inherited))
        if outlet in AGGREGATORS:
            facts["artefacts"] = sorted({*facts["artefacts"], *_add_artefacts(rng, record, outlet, chances)})
        elif outlet == WIRE and rng.random() < 0.1:
            facts["artefacts"] = _add_artefacts(rng, record, outlet, {"credit": 1.0, "chopped": 0, "truncated": 0})
        facts["has_english"] = language == "en" or "eng_text" in record
        if outlet == WIRE and rng.random() < 0.06:  # undated wire item
            if rng.random() < 0.5:
                del record["pub_date"]
            else:
                record["pub_date"] = rng.choice([None, ""])
            expected = RejectReason.MISSING_FIELD.value if supported else "unroutable"  # an unroutable file is not read
        elif not supported:
            expected = "unroutable"
        else:
            fingerprint = text_fingerprint(clean_text(record["text"]))
            if fingerprint in accepted_hashes.setdefault(file, set()):
                number -= 1  # an accidental copy: draw this one again
                continue
            accepted_hashes[file].add(fingerprint)
            expected = "accepted"
            if outlet == WIRE and facts["near_duplicate_of"] is None:
                wire_texts.append((record, story.story_id, facts["artefacts"]))
        planned = expected
        if expected == "accepted":
            # Two copies cut at the same place are one text once ingest has removed the feed artefacts.
            cleaned = text_fingerprint(clean_artefacts(clean_text(record["text"])).text)
            if cleaned in cleaned_hashes.setdefault(file, set()):
                expected = RejectReason.DUPLICATE_TEXT.value
            cleaned_hashes[file].add(cleaned)
        facts["expected"] = expected
        emit(file, record, _json_line(record), facts)
        if planned == "accepted" and outlet == WIRE and rng.random() < 0.02:  # the wire delivers an item twice
            again = RejectReason.DUPLICATE_ID.value if expected == "accepted" else RejectReason.DUPLICATE_TEXT.value
            emit(file, record, _json_line(record), {**facts, "expected": again})
        if planned == "accepted" and rng.random() < 0.01:  # a story in a language the platform does not have
            stray = {**record, "article_id": record["article_id"] + "-zh", "language": "zh",
                     "article_url": record["article_url"] + "-zh", "text": "该市批准了一项新计划。" + ref}  # fmt: skip
            emit(file, stray, _json_line(stray), {**facts, "expected": RejectReason.UNKNOWN_LANGUAGE.value})
    # Every unsupported language is present, however small the corpus (after the main draw, so a larger
    # corpus of the same seed keeps its lines).
    for language, countries in FOREIGN.items():
        file = f"{language}/{next(iter(countries))}.jsonl"
        while len(lines_by_file.get(file, [])) < 2:
            number += 1
            story = rng.choices(story_list, weights=story_weights)[0]
            country = next(iter(countries))
            record = {"article_id": f"rl-{number:07d}", "article_url": f"https://global-wire-service.example/{language}/{number:07d}",
                      "source_id": WIRE, "country": country, "language": language, "pub_date": story.date.isoformat(),
                      **_render_story(rng, story, language, country, f"{country}{number:06d}"), "license": licenses[0]}  # fmt: skip
            emit(file, record, _json_line(record), {"story_id": story.story_id, "theme": THEMES[story.theme][0],
                 "outlet": WIRE, "language": language, "country": country, "artefacts": [], "near_duplicate_of": None,
                 "has_english": False, "expected": "unroutable"})  # fmt: skip
    # A drop outside the layout: a file name that is no country code.
    stray_file = "en/wire_feed_latest.jsonl"
    for story in story_list[:3]:
        number += 1
        record = {"article_id": f"rl-{number:07d}", "article_url": f"https://global-wire-service.example/en/{number:07d}",
                  "source_id": WIRE, "country": "US", "language": "en", "pub_date": story.date.isoformat(),
                  **_render_story(rng, story, "en", "US", f"US{number:06d}"), "license": licenses[0]}  # fmt: skip
        emit(stray_file, record, _json_line(record), {"story_id": story.story_id, "theme": THEMES[story.theme][0],
             "outlet": WIRE, "language": "en", "country": "US", "artefacts": [], "near_duplicate_of": None,
             "has_english": True, "expected": "unroutable"})  # fmt: skip

    for file, lines in lines_by_file.items():
        path = out / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(line + b"\n" for line in lines))
    with (out / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for row in truth:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    outcomes = Counter(row["expected"] for row in truth)
    accepted_rows = [row for row in truth if row["expected"] == "accepted"]
    per_partition: dict[str, dict] = {}
    for row in truth:
        language, file_name = row["location"].rsplit(":", 1)[0].split("/")
        key = f"{file_name.split('.')[0]}|{language}"
        entry = per_partition.setdefault(key, {"lines": 0, "accepted": 0, "rejected": {}, "unroutable": 0})
        entry["lines"] += 1
        if row["expected"] == "accepted":
            entry["accepted"] += 1
        elif row["expected"] == "unroutable":
            entry["unroutable"] += 1
        else:
            entry["rejected"][row["expected"]] = entry["rejected"].get(row["expected"], 0) + 1
    licences_by_file = {file: sorted({json.loads(line).get("license") for line in lines if line.startswith(b"{")} - {None})
                        for file, lines in sorted(lines_by_file.items())}  # fmt: skip
    manifest = {
        "mode": "realistic",
        "seed": seed,
        "lines": len(truth),
        "files": len(lines_by_file),
        "languages": sorted({row["language"] for row in truth}),
        "unsupported_languages": sorted({row["language"] for row in truth} - set(LANGUAGES)),
        "countries": sorted({row["country"] for row in truth}),
        "stories": stories,
        "expected_accepted": outcomes["accepted"],
        "expected_unroutable": outcomes["unroutable"],
        "expected_rejected": dict(sorted((k, v) for k, v in outcomes.items() if k not in ("accepted", "unroutable"))),
        "unroutable_files": sorted({row["location"].rsplit(":", 1)[0] for row in truth if row["expected"] == "unroutable"}),
        "accepted_without_english": sum(not row["has_english"] for row in accepted_rows),
        "accepted_by_outlet": dict(Counter(row["outlet"] for row in accepted_rows).most_common()),
        "accepted_with_artefact": dict(sorted(Counter(a for row in accepted_rows for a in row["artefacts"]).items())),
        "accepted_near_duplicates": sum(row["near_duplicate_of"] is not None for row in accepted_rows),
        "licenses_by_file": licences_by_file,
        "per_partition": dict(sorted(per_partition.items())),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write <language>/<COUNTRY>.jsonl into")
    parser.add_argument("--articles", type=int, default=None,
                        help="valid articles (faulty lines come on top); realistic mode: records (default 20,000; 4,000)")  # fmt: skip
    parser.add_argument("--countries", type=int, default=60, help="distinct countries (1-60) over the languages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.05, help="share of faulty lines among all lines")
    parser.add_argument("--realistic", action="store_true", help="a skewed, messy feed with ground truth (truth.jsonl)")
    parser.add_argument("--stories", type=int, default=36, help="realistic mode: distinct stories")
    parser.add_argument("--licenses", default=",".join(DEFAULT_LICENSES),
                        help="realistic mode: SPDX licences the outlets use, comma-separated (the wire's first)")  # fmt: skip
    parser.add_argument("--english-share", type=float, default=0.55,
                        help="realistic mode: share of supported non-English articles carrying English")  # fmt: skip
    args = parser.parse_args(argv)
    if args.realistic:
        licenses = tuple(name.strip() for name in args.licenses.split(",") if name.strip())
        manifest = generate_realistic(args.out, args.articles or 4_000, args.seed, args.stories, licenses, args.english_share)
        print(f"wrote {manifest['lines']} lines in {manifest['files']} files to {args.out}: "
              f"{len(manifest['languages'])} languages ({len(manifest['unsupported_languages'])} unsupported), "
              f"{len(manifest['countries'])} countries, {manifest['stories']} stories")  # fmt: skip
        print(f"expected accepted: {manifest['expected_accepted']} "
              f"({manifest['accepted_without_english']} without English), unroutable: {manifest['expected_unroutable']}")  # fmt: skip
        for reason, count in manifest["expected_rejected"].items():
            print(f"  {reason:<40} {count:>6}")
        return
    manifest = generate(args.out, args.articles or 20_000, args.countries, args.seed, args.fault_rate)
    print(
        f"wrote {manifest['lines']} lines to {args.out}: {manifest['partitions']} partitions, "
        f"{len(manifest['languages'])} languages, {len(manifest['countries'])} countries"
    )
    print(f"expected accepted: {manifest['expected_accepted']}")
    print(f"expected rejected: {sum(manifest['expected_rejected'].values())}")
    for reason, count in manifest["expected_rejected"].items():
        print(f"  {reason:<40} {count:>6}")


if __name__ == "__main__":
    main()
