"""Rules that carry spaCy's 18 OntoNotes labels over to the schema's 54 types.

spaCy's small English model knows PERSON, ORG, GPE, DATE... but not a city from a region, a
ministry from a company, a job title or an economic indicator. `refine_mentions` takes its entities
(already mapped by `spacy_labels`) and, measured on the gold set's dev split (`quality.py`):

1. retypes by the name's own words: "... Ministry", "Central Bank of ..." are government agencies,
   "... Motors", "... Inc" companies, "... Party" political parties, "... University" educational
   institutions, "... Summit" events, "Hurricane ..." natural disasters, and so on; a non-country
   GPE is a city unless a gazetteer or its last word says state, province or region;
2. fixes what the statistical model is known to confuse: lexicon words tagged as a person or an
   organisation ("Covid", "Twitter"), money that is a percentage ("38 per cent"), quantities in a
   currency ("1.2 billion kroner"), a duration or a time of day labelled as a date, scores ("8-21")
   labelled as dates;
3. drops approximators before numbers ("about $5 billion" -> "$5 billion") and joins a bare count
   to the plural noun it counts ("400" + "tractors" -> quantity "400 tractors");
4. adds what the model never proposes from small lexicons (job titles, economic indicators,
   diseases, substances, technologies, currencies, websites), only where no entity is already;
5. makes a document consistent: an acronym in brackets after a name takes the name's type, and
   every occurrence of one surface form takes the type most of its occurrences have.

The lexicons are general news vocabulary, not the gold set's words; the figure reported is the
held-out split's.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cache

from asknews_assets.annotation.spacy_labels import country_gazetteer
from asknews_assets.annotation.spans import Mention

RULES_VERSION = "schema-rules-v1"  # part of the annotation model name: a change of rules is a change of annotator

# --- gazetteers ----------------------------------------------------------------------------------

def _names(joined: str) -> frozenset[str]:
    return frozenset(name.strip() for name in joined.split("|"))


CITIES = _names(
    """Abu Dhabi|Abidjan|Accra|Addis Ababa|Algiers|Amman|Amsterdam|Ankara|Astana|Athens|Baghdad|Baku|Bangkok|
    Barcelona|Beijing|Beirut|Belgrade|Berlin|Bern|Bishkek|Bogotá|Brasília|Bratislava|Brussels|Bucharest|Budapest|
    Buenos Aires|Cairo|Canberra|Cape Town|Caracas|Colombo|Copenhagen|Dakar|Damascus|Dhaka|Doha|Dubai|Dublin|
    Hamburg|Hanoi|Havana|Helsinki|Hong Kong|Islamabad|Istanbul|Jakarta|Jerusalem|Johannesburg|
    Kabul|Karachi|Kathmandu|Khartoum|Kinshasa|Kuala Lumpur|Kyiv|Lima|Lisbon|London|Los Angeles|Luanda|
    Luxembourg|Madrid|Manila|Maputo|Melbourne|Mexico City|Milan|Minsk|Monaco|Montevideo|Moscow|Mumbai|Munich|Nairobi|
    New Delhi|Delhi|New York|Oslo|Ottawa|Paris|Prague|Pretoria|Quito|Rabat|Riga|Rio de Janeiro|Riyadh|Rome|San Francisco|
    Santiago|São Paulo|Seoul|Shanghai|Singapore|Sofia|Stockholm|Sydney|Taipei|Tallinn|Tashkent|Tbilisi|
    Tehran|Tel Aviv|Tokyo|Toronto|Tunis|Ulaanbaatar|Vienna|Vilnius|Warsaw|Washington|Wellington|Yerevan|Zagreb|Zurich"""
)
STATES = _names(
    """Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Hawaii|Idaho|Illinois|Indiana|
    Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri|Montana|Nebraska|
    Nevada|New Hampshire|New Jersey|New Mexico|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|
    Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|West Virginia|Wisconsin|Wyoming|
    Ontario|Quebec|British Columbia|Alberta|Manitoba|Saskatchewan|Nova Scotia|New South Wales|Queensland|Victoria|
    Tasmania|Western Australia|South Australia|Bavaria|Saxony|Brandenburg|Hesse|Lower Saxony|North Rhine-Westphalia|
    Catalonia|Andalusia|Galicia|Lombardy|Sicily|Tuscany|Kerala|Punjab|Maharashtra|Gujarat|Tamil Nadu|Karnataka|
    Uttar Pradesh|Bihar|West Bengal|Rajasthan|Himachal Pradesh|Sindh|Guangdong|Sichuan|Xinjiang|Tibet|Yunnan|
    Minas Gerais|Bahia|Amazonas|Jalisco|Oaxaca|Chiapas"""
)
REGIONS = _names(
    """Africa|Asia|Europe|North America|South America|Latin America|Central America|Oceania|Antarctica|Arctic|
    Middle East|Near East|Far East|Gulf|Sahel|Balkans|Caucasus|Scandinavia|Nordics|Baltics|Maghreb|Levant|
    Southeast Asia|Central Asia|East Asia|South Asia|West Africa|East Africa|Southern Africa|North Africa|
    Horn of Africa|Western Europe|Eastern Europe|Central Europe|Caribbean|Pacific|Indo-Pacific|Mediterranean|
    Patagonia|Siberia|euro area|eurozone|Global South"""
)

# --- lexicons of what the model never proposes (lower case; matched case-insensitively) ----------

JOB_TITLES = (
    "prime minister|deputy prime minister|president|vice president|minister|foreign minister|finance minister|"
    "chancellor|king|queen|prince|princess|emperor|pope|mayor|governor|senator|congressman|congresswoman|"
    "member of parliament|MP|MEP|lawmaker|deputies|deputy|ambassador|envoy|special envoy|secretary-general|"
    "secretary|spokesman|spokeswoman|spokesperson|commissioner|chairman|chairwoman|chair|chief executive|"
    "chief executive officer|CEO|CFO|CTO|chief technology officer|chief economist|economist|analyst|"
    "managing director|director|director-general|director general|"
    "head|manager|founder|co-founder|president and CEO|professor|researcher|scientist|doctor|nurse|lawyer|judge|"
    "prosecutor|general|colonel|commander|coach|captain|striker|goalkeeper|actor|actress|filmmaker|director|singer|"
    "writer|author|novelist|translator|journalist|editor|photographer|trader|merchant|farmer|engineer|teacher|"
    "chief"
).split("|")
ECONOMIC_INDICATORS = (
    "inflation|annual inflation|core inflation|interest rate|interest rates|key rate|base rate|deposit rate|"
    "policy rate|main policy rate|benchmark rate|benchmark interest rate|monetary policy rate|repo rate|prime rate|"
    "exchange rate|GDP|gross domestic product|unemployment|unemployment rate|jobless rate|consumer price index|CPI|"
    "trade deficit|trade surplus|budget deficit|public debt|growth rate"
).split("|")
DISEASES = (
    "covid|covid-19|coronavirus|dengue|dengue fever|malaria|cholera|measles|ebola|mpox|tuberculosis|hiv|aids|"
    "influenza|flu|bird flu|avian flu|polio|zika|cancer|diabetes|hypertension|obesity|alzheimer's|dementia"
).split("|")
SUBSTANCES = (
    "hydrogen|green hydrogen|ammonia|green ammonia|diesel|petrol|gasoline|coal|lignite|lithium|cobalt|nickel|copper|"
    "natural gas|liquefied natural gas|LNG|oil|crude oil|crude|methane|carbon dioxide|CO2|uranium|fertiliser|"
    "fertilizer|steel|aluminium|gold|silver|cocoa|coffee|wheat|soy|plastic"
).split("|")
TECHNOLOGIES = (
    "artificial intelligence|generative AI|machine learning|facial recognition|electrolysis|desalination|5G|"
    "blockchain|CRISPR|nuclear power|solar power|wind power|hydropower|quantum computing"
).split("|")
CURRENCIES = "euro|dollar|pound|rupee|yen|yuan|renminbi|rouble|ruble|franc|peso|real|rand|naira|shilling|dirham|lira|krone|bitcoin".split("|")
WEBSITES = "Twitter|Facebook|Instagram|YouTube|Wikipedia|Reddit|LinkedIn|WhatsApp|Telegram|TikTok".split("|")

LEXICON_TYPES: tuple[tuple[str, Sequence[str]], ...] = (
    ("job title", JOB_TITLES),
    ("economic indicator", ECONOMIC_INDICATORS),
    ("disease", DISEASES),
    ("chemical substance", SUBSTANCES),
    ("technology", TECHNOLOGIES),
    ("currency", CURRENCIES),
    ("website", WEBSITES),
)

# --- name cues: the last (or first) words of a name say what it is ----------------------------------

_SUFFIX_TYPES: tuple[tuple[str, str], ...] = (
    # government bodies first: "National Bank", "Central Bank of ..." before the generic "Bank" of companies
    (r"^(?:central|national|reserve|federal) bank\b|^bank of |\bministry\b|\bministry of\b|\bdepartment\b|\bagency\b|"
     r"\bcommission\b|\bcommittee\b|\bcouncil\b|\bauthority\b|\bparliament\b|\bcongress\b|\bsenate\b|\bassembly\b|"
     r"\bhouse of\b|\bcourt\b|\btribunal\b|\bpolice\b|\bregulator\b|\bcommissioner\b|\boffice\b|\bhealth$|\bunit$|"
     r"\bservice$|\bsystem$|\bgovernment\b|\bfed$", "government agency"),
    (r"\bparty\b|\bmovement$|\bleague$|\bfront$|\balliance$", "political party"),
    (r"\buniversity\b|\bcollege\b|\bschool\b|\binstitute\b|\bacademy\b", "educational institution"),
    (r"\bsummit$|\bforum$|\bfestival\b|\bconference$|\bexpo$|\bfair$|\bceremony$|\bsummit in\b", "event"),
    (r"\bolympics?\b|\bolympic games\b|\bgames$|\bcup$|\bchampionships?$|\bgrand prix$|\bmarathon$|\bopen$|\bweek$", "sports event"),
    (r"^hurricane\b|^typhoon\b|^cyclone\b|^storm\b|\bearthquake$|\bfloods?$|\bwildfires?$|\bdrought$", "natural disaster"),
    (r"\bfc$|\bunited$|\bclub$|\bcity fc$", "sports team"),
    (r"\btimes$|\bpost$|\bnews$|\bherald$|\btribune$|\bgazette$|\bcourier$|\bjournal$|\breuters$|\bbbc\b|\bcnn$|"
     r"\btelevision$|\bradio\b|\bbroadcast", "media outlet"),
    (r"\binc$|\bltd$|\bllc$|\bplc$|\bcorp$|\bcorporation$|\bcompany$|\bgroup$|\bholdings?$|\bmotors$|\bairlines?$|"
     r"\bair$|\bbank$|\bpharma\w*$|\brobotics$|\benergy$|\bai$|\btechnologies$|\bsystems$|"
     r"\binvestments$|\bcapital$|\bpartners$|"
     r"\bstudios?$|\blabs?$|\bsteel$|\bmining$|\boil$|\bgas$|\btelecom$", "company"),
    (r"\bdam$|\bairport$|\bport of\b|\bport$|\bhospital\b|\bstation$|\bplant$|\bbridge$|\bstadium$|\bpalace$|"
     r"\bmuseum\b|\bpark$|\bhouse$|\btower$|\bcentre$|\bcenter$", "facility"),
    (r"\bact$|\blaw$|\bregulation\b|\bcode$|\bbill$|\bdirective$", "law or policy"),
    (r"\bagreement$|\btreaty$|\baccords?$|\bdeal$|\bpact$", "treaty or agreement"),
    (r"\bregion$|\bprovince$|\boblast$|\bprefecture$|\bstate$|\bcanton$|\bterritory$", "state or province"),
    (r"\bcounty$|\bdistrict$|\bmunicipality$|\bborough$|\bzone$|\bsquare$", "location"),
    (r"\briver$|\bsea$|\blake$|\bocean$|\bmountains?$|\bisland$|\bbay$|\bmount\b|\bvalley$|\bbeach$", "natural feature"),
    (r"\bstreet$|\bavenue$|\broad$|\bboulevard$", "address"),
)
_SUFFIX_PATTERNS = tuple((re.compile(pattern, re.IGNORECASE), label) for pattern, label in _SUFFIX_TYPES)
# Types a name cue may replace: the model's coarse guesses (and its frequent mistakes for names).
_RETYPABLE = frozenset({"organization", "location", "person", "facility", "event", "product", "work of art", "nationality or group", "city"})

_APPROXIMATOR = re.compile(
    r"^(?:about|around|almost|nearly|roughly|some|approximately|over|under|up to|more than|less than|fewer than|"
    r"at least|at most|as many as|as much as|as early as|below|above|only|just|an estimated)\s+",
    re.IGNORECASE,
)
_NUMERIC_TYPES = frozenset({"money", "percentage", "quantity", "date", "time", "duration"})
_TIME_OF_DAY = re.compile(r"\b(?:morning|afternoon|evening|night|midday|noon|midnight|dawn|dusk|o'clock|a\.m\.|p\.m\.|am|pm)\b", re.IGNORECASE)
_DURATION = re.compile(
    r"^(?:(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|a few|many|a|an)\s+)?"
    r"(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centuries|century)$",
    re.IGNORECASE,
)
_SCORE = re.compile(r"^\d{1,3}\s*[-–]\s*\d{1,3}$")
_PERCENT = re.compile(r"%|\bper ?cent\b|\bpercentage points?\b", re.IGNORECASE)
_CURRENCY_WORDS = re.compile(
    r"\b(?:dollars?|euros?|pounds?|francs?|kroner|krone|kronor|rupees?|yen|yuan|dirhams?|shillings?|naira|rand|pesos?|"
    r"reais|real|roubles?|rubles?|lira|won|baht|dong|zloty)\b",
    re.IGNORECASE,
)
_COUNTED_NOUN = re.compile(r"\s+(people|persons|[a-z]+s)\b")  # "400 tractors", "350 people"
_NUMBER_WORD = re.compile(r"^(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand)$", re.IGNORECASE)


@cache
def _lexicon_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """One alternation per type, longest phrases first; all-lowercase phrases match in any case,
    others (acronyms, "Twitter") only as written."""
    patterns = []
    for label, phrases in LEXICON_TYPES:
        ordered = sorted(set(phrases), key=len, reverse=True)
        lower = [re.escape(p) for p in ordered if p.islower()]
        cased = [re.escape(p) for p in ordered if not p.islower()]
        if lower:
            patterns.append((re.compile(rf"(?<![\w-])(?:{'|'.join(lower)})(?![\w-])", re.IGNORECASE), label))
        if cased:
            patterns.append((re.compile(rf"(?<![\w-])(?:{'|'.join(cased)})(?![\w-])"), label))
    return tuple(patterns)


@cache
def _lexicon_lookup() -> dict[str, str]:
    return {phrase.casefold(): label for label, phrases in LEXICON_TYPES for phrase in phrases}


def _bare(text: str) -> str:
    """'the Bank of Russia's' -> 'Bank of Russia': what the cues and gazetteers look at."""
    text = re.sub(r"^(?:the|a|an)\s+", "", text.strip(" \"'“”‘’()[]"), flags=re.IGNORECASE)
    return re.sub(r"(?:'s|’s|'|’)$", "", text).strip(" .,")


def name_type(text: str, label: str) -> str:
    """The schema type of a name the model labelled `label`, from gazetteers and the name's words."""
    bare = _bare(text)
    if label == "country":
        return label
    if label in {"location", "city", "organization", "person"}:
        key = bare.casefold().replace(".", "")
        if key in country_gazetteer():
            return "country"
        if bare in CITIES:
            return "city"
        if bare in STATES:
            return "state or province"
        if bare in REGIONS:
            return "region"
    lexicon = _lexicon_lookup().get(bare.casefold())
    if lexicon is not None and (bare.islower() or bare.casefold() not in {"ai", "general", "chief", "head", "chair", "real", "gold", "silver", "crude", "oil"}):
        return lexicon
    if label in _RETYPABLE and len(bare.split()) > 1:  # a cue word alone ("Bank", "AI") says nothing
        for pattern, cue_type in _SUFFIX_PATTERNS:
            if pattern.search(bare):
                return cue_type
    if label == "location" and bare[:1].isupper() and not bare.isupper():
        # spaCy's GPE that is no country and has no cue: most often a city in news
        return "city"
    return label


def _numeric(text: str, label: str) -> str | None:
    """The type of a number-like entity, or None when it is not an entity (a score)."""
    if _SCORE.match(text.strip()) and label in {"date", "time", "quantity"}:
        return None
    if label in {"money", "quantity"} and _PERCENT.search(text):
        return "percentage"
    if label == "quantity" and _CURRENCY_WORDS.search(text):
        return "money"
    if label in {"date", "time"}:
        if _DURATION.match(_APPROXIMATOR.sub("", text.strip())):
            return "duration"
        if _TIME_OF_DAY.search(text):
            return "time"
        return "date"
    return label


def _strip_approximator(mention: Mention) -> Mention:
    match = _APPROXIMATOR.match(mention.text)
    if not match or mention.start is None or mention.end is None or match.end() >= len(mention.text):
        return mention
    return Mention(mention.text[match.end() :], mention.label, mention.start + match.end(), mention.end)


def _with(mention: Mention, label: str) -> Mention:
    return Mention(mention.text, label, mention.start, mention.end)


def refine_mentions(text: str, mentions: Sequence[Mention], cardinals: Sequence[tuple[int, int]] = ()) -> list[Mention]:
    """The model's positioned mentions (schema types from `spacy_labels`) retyped, trimmed and
    completed as the module describes; `cardinals` are the bare numbers the model found (start, end)."""
    refined: list[Mention] = []
    for mention in mentions:
        label = mention.label
        if label in _NUMERIC_TYPES:
            mention = _strip_approximator(mention)
            new = _numeric(mention.text, label)
            if new is None:
                continue
            label = new
        else:
            label = name_type(mention.text, label)
        refined.append(_with(mention, label))

    # a bare count followed by the plural noun it counts: "400 tractors", "350 people"
    for start, end in cardinals:
        number = _APPROXIMATOR.sub("", text[start:end])
        match = _COUNTED_NOUN.match(text, end)
        if match and _NUMBER_WORD.match(number.split()[-1] if number else ""):
            first = end - len(number)
            refined.append(Mention(text[first : match.end()], "quantity", first, match.end()))

    taken = [(m.start, m.end) for m in refined if m.start is not None]
    for pattern, label in _lexicon_patterns():
        for match in pattern.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e in taken):
                refined.append(Mention(match.group(), label, match.start(), match.end()))
                taken.append((match.start(), match.end()))
    return make_consistent(text, refined)


_ACRONYM = re.compile(r"\s*\(([A-Z][A-Za-z]{1,9})\)")


def make_consistent(text: str, mentions: Sequence[Mention]) -> list[Mention]:
    """An acronym in brackets right after a name takes the name's type; then each surface form
    takes the type most of its occurrences have (the first one's on ties)."""
    by_start = {m.start: m for m in mentions if m.start is not None}
    forced: dict[str, str] = {}
    for mention in mentions:
        if mention.end is None:
            continue
        match = _ACRONYM.match(text, mention.end)
        if match:
            forced[match.group(1)] = mention.label
            if match.start(1) not in by_start:
                by_start[match.start(1)] = Mention(match.group(1), mention.label, match.start(1), match.end(1))
    mentions = sorted(by_start.values(), key=lambda m: m.start) + [m for m in mentions if m.start is None]
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for mention in mentions:
        votes[_bare(mention.text)][mention.label] += 1
    result = []
    for mention in mentions:
        key = _bare(mention.text)
        label = forced.get(key) or votes[key].most_common(1)[0][0]
        result.append(_with(mention, label))
    return result
