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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to write <language>/<COUNTRY>.jsonl into")
    parser.add_argument("--articles", type=int, default=20_000, help="valid articles (faulty lines come on top)")
    parser.add_argument("--countries", type=int, default=60, help="distinct countries (1-60) over the languages")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fault-rate", type=float, default=0.05, help="share of faulty lines among all lines")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.articles, args.countries, args.seed, args.fault_rate)
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
