"""Who said what: attributed statements in an article, by rules that run offline.

No tagger or parser is used: the offline English models (spaCy's ``en_core_web_sm``, Stanza's)
are not on the package registry or download at run time. Instead each sentence (or run of
sentences one quotation spans) is cut into tokens with every quoted span as one token, and a
speech cue (``said``, ``told``, ``according to``...) is looked for with a speaker phrase next to
it: ``X said (that) ...``, ``..., X said``, ``..., said X``, ``According to X, ...``,
``..., saying ...``. The statement is the reported clause, or the quoted words when the clause is
nothing but a quotation. Speakers are given as the article first names them in full ("Dmitry
Peskov" where a sentence says "Peskov" or "he"); ``speaker_keys`` then joins one person's
mentions across the articles of an event.

Work is linear in the text: tokens come from one regex without nested repetition, each cue looks
at a bounded window, and sentences over ``MAX_SENTENCE_CHARS`` are skipped.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from typing import NamedTuple

from . import text

__all__ = ["MAX_CUES", "MAX_SENTENCE_CHARS", "QUOTE_FIELDS", "Quote", "extract", "speaker_key", "speaker_keys"]

MAX_SENTENCE_CHARS = 3000  # longer "sentences" are lists or markup, not reported speech
MAX_QUOTE_SENTENCES = 8  # a quotation left open stops here (or at its paragraph's end)
PRONOUN_LOOKBACK = 6  # sentences searched for the person a pronoun stands for
NP_TOKENS = 10  # longest speaker phrase
MAX_CUES = 8  # attributions looked for in one unit (news sentences hold one or two)


@dataclass
class Quote:
    position: int  # first sentence of the statement, as in the sentences table
    speaker: str
    speaker_role: str | None
    quote: str
    kind: str  # 'direct' | 'indirect'
    verb: str
    speaker_key: str | None = None

    def as_dict(self) -> dict:
        """The fields by name, in order: ``dataclasses.asdict``'s dict without its deep copy (every field
        is a str, int or None), from :data:`QUOTE_FIELDS`, so a new field cannot be left out."""
        return {name: getattr(self, name) for name in QUOTE_FIELDS}


QUOTE_FIELDS = tuple(f.name for f in fields(Quote))  # in order; the store's rows are made from them too


# --------------------------------------------------------------------------
# Vocabulary

_LEMMAS = """say tell claim deny add state note argue warn insist explain announce write tweet report
assert declare stress emphasize emphasise acknowledge admit confirm suggest ask reply respond continue
recall predict allege vow promise complain concede contend maintain observe remark testify urge
underline indicate estimate believe think reveal disclose caution threaten accuse agree posit
pledge question conclude repeat reiterate counter boast mention charge""".split()
_IRREGULAR = {"say": ["said", "says", "saying"], "tell": ["told", "tells", "telling"],
              "write": ["wrote", "writes", "writing", "written"], "think": ["thinks", "thought", "thinking"],
              "deny": ["denied", "denies", "denying"], "reply": ["replied", "replies", "replying"],
              "testify": ["testified", "testifies", "testifying"], "admit": ["admitted", "admits", "admitting"],
              "underline": ["underlined", "underlines", "underlining"]}


def _forms(lemma: str) -> list[str]:
    if lemma in _IRREGULAR:
        return [lemma, *_IRREGULAR[lemma]]
    stem = lemma[:-1] if lemma.endswith("e") else lemma
    third = lemma + ("es" if lemma.endswith(("s", "sh", "ch")) else "s")
    return [lemma, third, stem + "ed", stem + "ing"]


# forms that are nouns far more often than cues in news ("the United States", "questions", "charges")
_NOUN_FORMS = {"state", "states", "question", "questions", "charge", "charges", "remark", "remarks", "report",
               "counter", "counters", "estimate", "estimates"}
VERBS = {form: lemma for lemma in _LEMMAS for form in _forms(lemma) if form not in _NOUN_FORMS}
_THOUGHT = {"believe", "think"}  # cues of thought, taken only with a named speaker and "that"
_OBJECT_VERBS = {"tell", "warn", "urge", "ask", "accuse", "remind", "assure", "inform"}
_AUX = {"has", "have", "had", "was", "is", "also", "later", "further", "then", "previously",
        "repeatedly", "reportedly", "recently", "publicly", "privately", "earlier", "again", "once", "often",
        "separately", "similarly", "flatly", "firmly", "simply", "only", "now", "still", "already", "never",
        "subsequently", "initially", "originally", "first", "last", "just", "even", "been", "went", "on"}
_DETERMINERS = {"the", "a", "an", "another", "one", "two", "three", "four", "five", "several", "many", "some",
                "most", "other", "both", "all", "his", "her", "their", "its", "our", "these", "few", "multiple",
                "numerous", "top", "senior", "former", "current", "dozens", "no", "second", "third", "fourth"}
SPEAKER_NOUNS = set("""source sources official officials spokesman spokeswoman spokesperson spokespeople
ministry minister ministers department statement report reports aide aides adviser advisers advisor advisors
analyst analysts expert experts police officer officers campaign poll polls survey people residents
witness witnesses critic critics supporter supporters lawmaker lawmakers senator senators governor president
leader leaders chief secretary director diplomat diplomats government administration authorities agency
office council committee court judge prosecutor prosecutors lawyer lawyers attorney attorneys military army
kremlin commission spokesmen spokeswomen representative representatives member members voter voters group
groups organization party staff staffer staffers study researchers research data figures documents letter
memo filing indictment complaint officer executive founder economist economists strategist strategists
operative operatives insider insiders observers journalist journalists reporter reporters newspaper paper
outlet website site channel network television tv broadcaster agency release document chairman chairwoman
chair mayor candidate candidates nominee nominees speaker host anchor ambassador envoy general commander
colonel captain sergeant coordinator manager consultant pollster pollsters historian historians scientist
scientists doctor doctors parent parents family relatives friend friends neighbor neighbors employee
employees worker workers activist activists protesters organizers democrats republicans conservatives
liberals press regime forces service institute university foundation association union firm company
corporation bank fund index wife husband son daughter mother father brother sister attendee attendees
participant participants tweet tweets post email emails message ad ads book article editorial column transcript
video headline sign banner blog petition lawsuit affidavit ruling analysis records percent
man men woman women person author authors writer writers editor editors columnist columnists commentator
commentators magazine delegate delegates student students teacher teachers veteran veterans businessman
businesswoman billionaire tycoon mogul owner""".split())
_AGENT_PLURALS = ("ists", "ers", "ians", "ants", "ents")  # "hacking specialists say", "researchers said"
_PERSON_NOUNS = set("""source official spokesman spokeswoman spokesperson minister aide adviser advisor analyst
expert officer senator governor president leader chief secretary director diplomat judge prosecutor lawyer
attorney representative member voter staffer executive founder economist strategist operative insider observer
journalist reporter chairman chairwoman chair mayor candidate nominee speaker host anchor ambassador envoy
general commander colonel captain sergeant coordinator manager consultant pollster historian scientist doctor
parent friend neighbor employee worker activist witness critic supporter lawmaker resident man woman person
author writer editor columnist commentator delegate student teacher veteran businessman businesswoman
billionaire tycoon mogul owner""".split())
_PRONOUNS = {"he": "person", "she": "person", "they": "plural", "it": "thing", "we": "plural", "i": "person"}
_TITLES = set("""president secretary minister prime foreign spokesman spokeswoman spokesperson sen sen. senator
rep rep. representative gov gov. governor mayor chancellor chief director general gen. judge justice speaker
leader chairman chairwoman chair king queen prince pope deputy vice former attorney ambassador envoy adviser
advisor aide commissioner commander col. col lt. lt. capt. sgt. dr. dr mr. mr mrs. mrs ms. ms prof. prof
state defense defence interior press security national house senate first lady candidate nominee
democrat democratic republican gop rev. rev. officer executive ceo founder host anchor correspondent
analyst sheriff detective inspector councilman councilwoman lawmaker premier president-elect
congressman congresswoman assemblyman assemblywoman supt. atty. amb. pres. sec. gov.""".split())
_HONORIFICS = {"mr.", "mrs.", "ms.", "dr.", "mr", "mrs", "ms", "dr", "prof.", "sir", "dame", "rev.", "miss"}
# words before a name that tell "he" from "she" ("Mrs. Clinton", "spokeswoman Hope Hicks", "his wife, Ivana")
_MALE = {"mr", "mr.", "sir", "king", "prince", "lord", "spokesman", "congressman", "assemblyman", "councilman",
         "businessman", "husband", "father", "son", "brother", "uncle", "nephew", "grandfather", "boyfriend"}
_FEMALE = {"mrs", "mrs.", "ms", "ms.", "miss", "dame", "queen", "princess", "lady", "spokeswoman", "congresswoman",
           "assemblywoman", "councilwoman", "businesswoman", "chairwoman", "wife", "mother", "daughter", "sister",
           "aunt", "niece", "grandmother", "girlfriend", "widow"}
_ORG_WORDS = set("""ministry department council committee court house senate congress party campaign post times
news journal agency service forum union organization organisation institute university corps legion army
force forces office administration government bank fund foundation inc inc. corp corp. company group center
centre network press reuters federation kingdom republic commission authority board bureau police guard
navy kremlin pentagon nato cnn bbc fox msnbc abc cbs nbc ap afp tass politifact magazine""".split())
_NOT_NAMES = set("""the a an but and or so yet if when while as after before since although though because
despite following like unlike including among amid via per with without until unless whether
however meanwhile earlier later still also then now today yesterday tomorrow this that these those there here
in on at by for with from of to into over under about against between without within during through across
mr mrs monday tuesday wednesday thursday friday saturday sunday january february march april may june july
august september october november december it its he she they we i you his her their our my your what who
which where why how all some many most no not one two three several other another each every both either
neither such last next first new more much very just only even read watch click related advertisement
does do did is are was were can could will would should going
according""".split())
_MONTHS_DAYS = {w for w in _NOT_NAMES if w.endswith("day") or w in {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "today", "yesterday", "tomorrow"}}
_TAIL_WORDS = {"on", "in", "at", "during", "to", "with", "after", "before", "last", "this", "earlier", "later",
               "a", "an", "the", "his", "her", "their", "its", "news", "conference", "statement", "briefing",
               "interview", "reporters", "journalists", "told", "telling", "of", "from", "by", "for", "late",
               "early", "morning", "evening", "night", "week", "month", "year", "friday", "thursday", "monday",
               "tuesday", "wednesday", "saturday", "sunday", "daily", "press", "speech", "rally", "meeting",
               "tweet", "post", "email", "e-mail", "phone", "call", "television", "radio", "recently", "then",
               "also", "separately", "privately", "publicly", "again", "previously", "when", "asked", "about",
               "written", "joint", "brief", "video", "message", "exclusive", "remarks", "address", "event",
               "hearing", "on-camera", "off-camera", "appearance", "ago", "days", "weeks", "months", "years",
               "two", "three", "four", "five", "ten", "few", "several", "recent"}

# --------------------------------------------------------------------------
# Tokens: words, punctuation, and each quoted span as one token

_LOWER_WORD_RE = re.compile(r"[a-z]{3,}")  # the runs of [a-z]+ a cue word may be
_CUE_WORDS = frozenset(VERBS) | {"according"}


def _may_quote(unit: str) -> bool:
    """A cheap test before tokenizing: a quotation mark or a cue word."""
    return _has_quote_mark(unit) or _has_cue_word(unit)


def _has_cue_word(unit: str) -> bool:
    return not _CUE_WORDS.isdisjoint(_LOWER_WORD_RE.findall(unit.lower()))



_OPEN = "“„«"
_CLOSE = "”»"
_QUOTE_MARK_RE = re.compile(r"[“”„«»\"]|''|``")
# a word: letters and digits, inner ' ’ - . & kept ("don't", "U.S", "AT&T"); a dot after it is a token of its
# own, which _tokens joins to the word where it belongs to it ("Mr.", "U.S.")
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’\-.&][^\W_]+)*|[,;:()?!—–\-]|\.")
_ABBREVIATION_DOT = set(text.NEWS_ABBREVIATIONS) | {"u.s", "u.k", "u.n", "e.u", "d.c", "st", "mr", "mrs", "ms",
                                                     "dr", "jr", "sr", "gen", "col", "lt", "capt", "sgt"}


class _Token:
    """A word, a punctuation mark or a quoted span (``quote``) and where it lies in its unit. Slotted:
    the rules read its fields more than anything else, and slots read faster than a NamedTuple's."""

    __slots__ = ("text", "start", "end", "quote", "low", "capital")

    def __init__(self, text_: str, start: int, end: int, quote: bool, low: str, capital: bool):
        self.text, self.start, self.end, self.quote = text_, start, end, quote
        self.low = low  # text.lower()
        self.capital = capital  # starts with a capital (a quoted span starts with its mark, never one)


_MATCH_TEXT, _MATCH_START, _MATCH_END = re.Match.group, re.Match.start, re.Match.end
_FIRST = operator.itemgetter(0)


def _token(text_: str, start: int, end: int, quote: bool = False) -> _Token:
    """One token made alone (most come from :func:`_tokens`, which makes them together)."""
    return _Token(text_, start, end, quote, text_.lower(), not quote and text_[:1].isupper())


def _opens(s: str, at: int) -> bool:
    """A closing mark used to open ("”This is why ...,” said ..."): at a word's start, before a letter."""
    return (at == 0 or not s[at - 1].isalnum()) and at + 1 < len(s) and s[at + 1].isalpha() and (
        at == 0 or s[at - 1] in " (\u202a\u202c\u200e\u200f\ufeff")


def _has_quote_mark(s: str) -> bool:
    """Whether :data:`_QUOTE_MARK_RE` finds anything in ``s``."""
    return ('"' in s or "“" in s or "”" in s or "„" in s or "«" in s or "»" in s or "''" in s
            or "``" in s)


def _quoted_spans(s: str) -> tuple[list[tuple[int, int]], int | None, bool]:
    """(start, end) of each closed quotation, where one left open starts, and whether ``s`` has
    any quotation mark (:func:`_may_quote`'s first test)."""
    if not _has_quote_mark(s):
        return [], None, False  # most sentences: eight scans in C, faster than the regex
    spans = []
    opened: int | None = None
    m = None
    for m in _QUOTE_MARK_RE.finditer(s):
        mark = m.group()
        if opened is None:
            if mark not in _CLOSE or _opens(s, m.start()):
                opened = m.start()
        elif mark not in _OPEN or mark == '"':
            spans.append((opened, m.end()))
            opened = None
        else:
            opened = m.start()  # two openings: the first was a stray mark
    return spans, opened, m is not None


def _quotations(s: str) -> list[tuple[int, int]]:
    """Every quotation's (start, end), one left open running to the end."""
    spans, opened, _ = _quoted_spans(s)
    if opened is not None:
        spans.append((opened, len(s)))
    return spans


def _tokens(s: str, spans: list[tuple[int, int]] | None = None) -> list[_Token]:
    """The unit's tokens in order: the words and marks between its quotations, each quotation one
    token. Their fields are gathered in lists first, the words' lower case and capitals made in C."""
    spans = _quotations(s) if spans is None else spans
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    quoted: list[bool] = []
    at = 0
    for start, end in [*spans, (len(s), len(s))]:
        found = list(_TOKEN_RE.finditer(s, at, start))
        texts += map(_MATCH_TEXT, found)
        starts += map(_MATCH_START, found)
        ends += map(_MATCH_END, found)
        quoted += [False] * len(found)
        if end > start:
            texts.append(s[start:end])
            starts.append(start)
            ends.append(end)
            quoted.append(True)
        at = end
    _join_dots(s, texts, starts, ends, quoted)
    return list(map(_Token, texts, starts, ends, quoted, map(str.lower, texts), map(str.isupper, map(_FIRST, texts))))


def _join_dots(s: str, texts: list[str], starts: list[int], ends: list[int], quoted: list[bool]) -> None:
    """A dot right after a word joins it when the word keeps its dot ("Mr.", "U.S.", "A.") or a
    parenthesis follows ("(R-Wis.)"); else it stays a token of its own (a sentence's full stop)."""
    k = 0
    while True:
        try:
            k = texts.index(".", k + 1)
        except ValueError:
            return
        word = texts[k - 1]
        if ends[k - 1] == starts[k] and word[-1].isalnum() and (
                _keeps_dot(word + ".") or s[ends[k]:ends[k] + 1] == ")"):
            texts[k - 1], ends[k - 1] = word + ".", ends[k]
            del texts[k], starts[k], ends[k], quoted[k]
            k -= 1


def _keeps_dot(word: str) -> bool:
    bare = word[:-1].lower()
    return bare in _ABBREVIATION_DOT or (len(bare) == 1 and bare.isalpha()) or "." in bare


def _strip_marks(quoted: str) -> str:
    return _QUOTE_MARK_RE.sub("", quoted).strip(" ,")


# --------------------------------------------------------------------------
# Speaker phrases


@dataclass
class _Speaker:
    start: int
    end: int  # token range [start, end)
    phrase: str
    name: str | None  # the proper name in it ("Dmitry Peskov"), if any
    role: str | None
    kind: str  # 'person' | 'org' | 'plural' | 'thing' | 'pronoun-person'...
    pronoun: str | None = None


def _is_name_word(t: _Token) -> bool:
    if len(t.text) == 2 and t.text[1] == "." and t.capital:
        return True  # an initial: "Jock A. Finlayson"
    return t.capital and t.low.rstrip(".") not in _NOT_NAMES and t.low not in VERBS and t.low not in {
        "having", "being", "asked", "speaking", "writing", "according"}


def _is_np_word(t: _Token) -> bool:
    low = t.low
    if t.quote or not t.text[0].isalnum():
        return False
    return _is_name_word(t) or low in SPEAKER_NOUNS or low in _TITLES or low in _DETERMINERS or low in {
        "of", "'s", "’s"} or low.endswith(("'s", "’s")) or low.isdigit() or (
        low.isalpha() and low not in text.stop_words() and low not in VERBS and low not in _AUX
        and not low.endswith(("ed", "ing", "ly")))


def _speaker_before(tokens: Sequence[_Token], end: int, floor: int = 0, loose: bool = False) -> _Speaker | None:
    """The speaker phrase ending just before token ``end`` ("Kremlin spokesman Dmitry Peskov",
    "a spokeswoman, Anna Richardson White", "the ministry", "he"), or None."""
    if end <= floor:
        return None
    last = tokens[end - 1]
    if last.low in _PRONOUNS:
        return _Speaker(end - 1, end, last.text, None, None, _PRONOUNS[last.low], pronoun=last.low)
    if last.low in {"who", "which"} and end - 2 >= floor and tokens[end - 2].text == ",":
        found = _speaker_before(tokens, end - 2, floor)
        return found
    start = end
    while start > floor and end - start < NP_TOKENS and (_is_np_word(tokens[start - 1]) or _new_name(tokens, start - 1)
                                                          or loose and _modifier(tokens, start - 1, end)):
        start -= 1
    # "officials in Russia", "a source close to the campaign"
    if start - 2 >= floor and start < end and tokens[start - 1].low in {"in", "at", "from", "for", "close"} \
            and tokens[start - 2].low in SPEAKER_NOUNS:
        start -= 2
        while start > floor and end - start < NP_TOKENS and _is_np_word(tokens[start - 1]):
            start -= 1
    # appositive: "a spokeswoman, Anna Richardson White," / "Jack Dorsey, Twitter's chief executive,"
    if start - 2 >= floor and tokens[start - 1].text == "," and start < end:
        inner = start - 1
        s2 = inner
        while s2 > floor and inner - s2 < NP_TOKENS and _is_np_word(tokens[s2 - 1]):
            s2 -= 1
        if s2 < inner and _appositive(tokens[s2:inner], tokens[start:end]) and (
                s2 == floor or tokens[s2 - 1].text in {",", "(", ".", ";", ":", "—", "–"} or tokens[s2 - 1].quote
                or (s2 - 1 == floor and tokens[s2 - 1].capital and tokens[s2 - 1].low not in _OPENING_PREPOSITIONS)):
            start = s2  # "Even Rendell, a supporter, said", not "In Texas, half of voters said"
    while start < end and tokens[start].low in {"of", "'s", "’s"}:
        start += 1
    while start < end and not _head_ok(tokens[start:end], loose):
        start += 1
    if start >= end:
        return None
    return _describe(tokens[start:end], start, end)


def _after_quotation(tokens: Sequence[_Token], k: int, floor: int) -> bool:
    """Token ``k`` follows a quotation, or a quotation and a comma."""
    return k > floor and (tokens[k - 1].quote or (
        tokens[k - 1].text == "," and k - 1 > floor and tokens[k - 2].quote))


def _new_name(tokens: Sequence[_Token], k: int) -> bool:
    """"New" that begins a name ("the New York businessman", "New Jersey Gov. Chris Christie")."""
    return tokens[k].text == "New" and k + 1 < len(tokens) and _is_name_word(tokens[k + 1])


def _modifier(tokens: Sequence[_Token], k: int, end: int) -> bool:
    """A participle before the head of a speaker phrase next to a quotation ("the retired
    neurosurgeon", "the conservative-leaning newspaper", "the gambling tycoon")."""
    t = tokens[k]
    return k + 1 < end and t.text.islower() and t.low.endswith(("ed", "ing")) and t.low not in VERBS \
        and t.low not in _AUX and t.low.replace("-", "").isalpha()


def _appositive(left: Sequence[_Token], right: Sequence[_Token]) -> bool:
    """One side a name, the other a role: "a spokeswoman, Anna White" or "Jack Dorsey, its chief"."""
    left_name = any(_is_name_word(t) for t in left) and left[-1].capital
    right_name = any(_is_name_word(t) for t in right) and right[-1].capital
    left_role = any(t.low in SPEAKER_NOUNS or t.low in _TITLES for t in left)
    right_role = any(t.low in SPEAKER_NOUNS or t.low in _TITLES for t in right)
    return (left_role and right_name and not left_name) or (left_name and right_role and not right_name)


def _head_ok(span: Sequence[_Token], loose: bool = False) -> bool:
    """A speaker phrase ends in a name or a speaker noun (any noun-like word when ``loose``: next
    to a quotation, "“...,” the email said"), and holds few stray lower-case words."""
    head = span[-1]
    if not (_is_name_word(head) or head.low in SPEAKER_NOUNS or head.low.rstrip(".") in _TITLES
            or head.low.endswith(_AGENT_PLURALS) or (
            loose and span[0].low in _DETERMINERS_ARTICLES and _is_np_word(head)
            and head.low not in _DETERMINERS)):
        return False
    if head.low.rstrip(".") in _MONTHS_DAYS:
        return False
    first = span[0]
    if first.low in {"of", "'s", "’s", ","} or first.low.endswith(("'s", "’s")) and len(span) == 1:
        return False
    plain = [t for t in span if not (t.capital or t.low in SPEAKER_NOUNS or t.low in _TITLES
                                     or t.low in _DETERMINERS or t.low in {"of", ",", "the"})]
    return len(plain) <= (3 if loose and first.low in _DETERMINERS else 2)


def _describe(span: Sequence[_Token], start: int, end: int) -> _Speaker:
    words = [t.text for t in span if t.text != ","]
    phrase = " ".join(words).replace(" 's", "'s").replace(" ’s", "’s")
    # the proper name: the last run of capitalized words that are not titles or organization words
    i = len(span)
    while i > 0 and (_is_name_word(span[i - 1]) or _new_name(span, i - 1)) \
            and span[i - 1].low.rstrip(".") not in _TITLES \
            and not span[i - 1].low.endswith(("'s", "’s")):
        i -= 1
    name_tokens = [t for t in span[i:] if t.text != ","]
    if name_tokens and name_tokens[-1].text.endswith(".") and len(name_tokens[-1].text) > 3:
        last = name_tokens[-1]
        name_tokens[-1] = _token(last.text[:-1], last.start, last.end - 1)  # "Ben Brafman." ends a sentence
    before = [t for t in span[:i] if t.text != ","]
    if not name_tokens and span[-1].text != "," and len(span) > 1:
        # "Jack Dorsey, Twitter's chief executive": the name comes first
        comma = next((k for k, t in enumerate(span) if t.text == ","), None)
        if comma:
            head = [t for t in span[:comma] if _is_name_word(t)]
            if head:
                name = " ".join(t.text for t in head)
                return _Speaker(start, end, phrase, name, " ".join(t.text for t in span[comma + 1:]), "person")
    is_org = any(t.low.rstrip(".") in _ORG_WORDS for t in name_tokens or span[-1:]) or (
        len(name_tokens) == 1 and name_tokens[0].text.isupper() and len(name_tokens[0].text) > 1)
    if name_tokens and before and before[-1].low == "of":
        name_tokens = []  # "the governor of the Moscow region": a role, not a name
    if name_tokens and not is_org:
        name = " ".join(t.text for t in name_tokens)
        role = " ".join(t.text for t in before if t.low not in {"the", "a", "an"}) or None
        if role and role.lower() in _HONORIFICS:
            name, role = role + " " + name, None
        plural = span[-1].low in SPEAKER_NOUNS and span[-1].low.endswith("s")
        return _Speaker(start, end, phrase, name, role, "plural" if plural else "person")
    noun = span[-1].low
    kind = "plural" if noun.endswith("s") and not is_org else "person" if noun in _PERSON_NOUNS else "org"
    return _Speaker(start, end, phrase, None, None, kind)


def _speaker_after(tokens: Sequence[_Token], start: int, loose: bool = False) -> _Speaker | None:
    """The speaker phrase right after an inverted cue ("said Peskov", "according to city officials")."""
    end = start
    while end < len(tokens) and end - start < NP_TOKENS and (
            _is_np_word(tokens[end]) or _new_name(tokens, end) and tokens[end - 1].low != "of"
            or tokens[end].text == "," and end > start
            and end + 1 < len(tokens) and _is_name_word(tokens[end + 1])):
        if tokens[end].low in VERBS or tokens[end].low.rstrip(".") in _MONTHS_DAYS:
            break
        end += 1
    if end == start:
        if start < len(tokens) and tokens[start].low in _PRONOUNS:
            t = tokens[start]
            return _Speaker(start, start + 1, t.text, None, None, _PRONOUNS[t.low], pronoun=t.low)
        return None
    # drop a trailing tail: "city officials" ok; "Peskov in a statement" cut at the preposition
    cut = start
    for k in range(start, end):
        if tokens[k].low in {"in", "on", "at", "during", "to", "with", "after", "before", "for", "from", "by"}:
            break
        cut = k + 1
    while cut > start and not _head_ok(tokens[start:cut], loose):
        cut -= 1
    if cut == start:
        return None
    while cut > start and tokens[cut - 1].text == ",":
        cut -= 1
    return _describe(tokens[start:cut], start, cut)


# --------------------------------------------------------------------------
# Cues


def _lemma(tokens: Sequence[_Token], i: int, other: bool = False) -> str | None:
    """The cue's lemma; with ``other``, any past-tense-looking verb is "*" (a quotation's cue)."""
    t = tokens[i]
    if t.quote:
        return None
    if other and t.low not in VERBS and t.text.islower() and (len(t.low) > 4 and t.low.endswith("ed") or (
            t.low in _OTHER_CUES)) and t.low not in text.stop_words():
        return "*"
    if t.low == "according" and i + 1 < len(tokens) and tokens[i + 1].low == "to":
        return "according to"
    if not t.text.islower():  # "States" in "United States" is no cue
        return None
    return VERBS.get(t.low)


_STOP_PUNCT = {".", "?", "!", ";"}
_PARTY_STATE_RE = re.compile(r"[RDI]-[A-Z][A-Za-z.]{0,12}")
_NOUN_BEFORE = {"the", "a", "an", "this", "that", "his", "her", "its", "their", "our", "my", "your", "whose",
                "no", "any", "every", "each", "such", "new", "first", "latest"}
_DASHES = {",", "—", "–", "(", ")"}
_PREPOSITIONS = {"at", "in", "on", "during", "after", "before", "to", "from", "with", "for", "last", "this",
                 "earlier", "through", "via", "over"}
# with a quotation: what a text reads, and naming ("calling him a “loser”")
_OTHER_CUES = {"read", "reads", "calling", "describing", "dubbing", "labeling", "labelling", "branding"}
_PROMISES = {"vow", "promise", "pledge", "threaten", "refuse", "urge", "ask", "*"}
_CONJUNCTIONS = {"but", "and", "while", "though", "although", "as", "because", "who", "which", "where", "when",
                 "yet", "so", "even", "despite"}
_BREAKS = {"adding", "saying", "noting", "arguing", "claiming", "insisting", "warning", "explaining", "stressing",
           "calling", "describing"}


def _past_paren(tokens: Sequence[_Token], k: int) -> int:
    """Past a short parenthesis at ``k`` ("Elijah Cummings (D-Md.)"), else ``k``."""
    if k < len(tokens) and tokens[k].text == "(":
        close = next((m for m in range(k + 1, min(k + 8, len(tokens))) if tokens[m].text == ")"), None)
        if close is not None:
            return close + 1
    return k


def _before_paren(tokens: Sequence[_Token], k: int, floor: int) -> int:
    """Before a short parenthesis ending at ``k`` ("Sen. Ron Johnson (R-Wis.) said"), else ``k``."""
    if k - 1 > floor and tokens[k - 1].text == ")":
        opening = next((m for m in range(k - 2, max(floor, k - 8) - 1, -1) if tokens[m].text == "("), None)
        if opening is not None and opening > floor:
            return opening
    return k


def _before_party_state(tokens: Sequence[_Token], k: int, floor: int) -> int:
    """Before a party and state between commas ending at ``k`` ("Sen. Rand Paul, R-Ky., told"), else ``k``."""
    m = k - 2
    if m > floor and tokens[m].text == ".":
        m -= 1
    if m - 1 > floor and tokens[k - 1].text == "," and tokens[m - 1].text == "," and _PARTY_STATE_RE.fullmatch(
            tokens[m].text):
        return m - 1
    return k


def _went_on_to(tokens: Sequence[_Token], i: int, floor: int) -> int:
    """Where "went on to" / "continued to" before a cue at ``i`` begins ("Pence went on to say"), else ``i``."""
    if i - 2 >= floor and tokens[i - 1].low == "to":
        if tokens[i - 2].low in {"continued", "continues", "proceeded", "decided", "wanted", "tried"}:
            return i - 2
        if i - 3 >= floor and tokens[i - 2].low == "on" and tokens[i - 3].low in {"went", "goes", "go"}:
            return i - 3
    return i


def _skip_aux_back(tokens: Sequence[_Token], i: int) -> int:
    k = i
    while k > 0 and i - k < 4 and tokens[k - 1].low in _AUX_BACK:
        k -= 1
    return k


@dataclass
class _Found:
    start: int  # token range of the content
    end: int
    speaker: _Speaker
    verb: str
    cue: int  # token index of the cue
    skip: tuple[int, int] = (0, 0)  # tokens inside the range that are the attribution itself


def _cues(tokens: Sequence[_Token], other: bool = False) -> list[_Found]:
    """Every attribution in one unit's tokens, left to right; with ``other``, any verb with a
    speaker next to it ("Manafort dismissed it as “absurd.”") when its statement quotes."""
    found: list[_Found] = []
    taken_until = -1
    if other:
        candidates = [i for i, t in enumerate(tokens) if t.low in _CUE_WORDS or t.low.endswith("ed")
                      or t.low in _OTHER_CUES]
    else:
        candidates = [i for i, t in enumerate(tokens) if t.low in _CUE_WORDS]
    for i in candidates:
        if i <= taken_until:
            continue
        if len(found) == MAX_CUES:
            break
        lemma = _lemma(tokens, i, other)
        if lemma is None:
            continue
        hit = _according(tokens, i, found) if lemma == "according to" else _verb_cue(tokens, i, lemma, found)
        if hit is None:
            continue
        if found and (hit.start, hit.end) == (found[-1].start, found[-1].end):
            continue  # "..., the ministry said, according to AFP": one statement, its first source
        if found and found[-1].start < hit.speaker.start < found[-1].end and hit.speaker.start > found[-1].cue:
            end = hit.speaker.start  # "Cruz said he'd ..., and Trump vowed to ...": two statements
            while end > found[-1].start and tokens[end - 1].low in {",", "and", "but", "while", "as", ";"}:
                end -= 1
            found[-1].end = end
        found.append(hit)
        taken_until = max(hit.cue, hit.speaker.end - 1, hit.skip[1] - 1)
    return found


def _according(tokens: Sequence[_Token], i: int, found: list[_Found]) -> _Found | None:
    sp = _speaker_after(tokens, i + 2)
    source = _source_after(tokens, i + 2)
    if sp is None or source is not None and source.end > sp.end and tokens[sp.end].low not in _SOURCE_GOES_ON:
        sp = source  # "according to his Facebook profile", not "his Facebook"
    if sp is None:
        return None
    n = len(tokens)
    floor = found[-1].cue + 1 if found else 0
    if found and _tail_end(tokens, floor) >= i - 1:
        return None  # "..., the ministry said in a statement, according to AFP": the ministry's words
    if i == floor or tokens[i - 1].low in {"but", "and"} or (tokens[i - 1].text == "," and i - 1 == floor):
        start = sp.end
        while start < n and tokens[start].text in _DASHES:
            start += 1
        end = _clause_end(tokens, start)
    else:
        end = i
        while end > floor and tokens[end - 1].text in _DASHES:
            end -= 1
        start = floor
    if end <= start:
        return None
    return _Found(start, end, sp, "according to", i, (i, sp.end))


def _source_after(tokens: Sequence[_Token], start: int) -> _Speaker | None:
    """Whatever noun phrase follows "according to" is the source ("according to court filings",
    "according to his Facebook profile"), up to its clause's end."""
    end = start
    while end < len(tokens) and end - start < NP_TOKENS and not tokens[end].quote and (
            tokens[end].text[0].isalnum() or tokens[end].text == "-") and tokens[end].low not in VERBS:
        end += 1
    while end > start and tokens[end - 1].low in _STOPWORD_TAIL:
        end -= 1
    if end == start or not any(t.text[0].isalpha() for t in tokens[start:end]):
        return None
    return _describe(tokens[start:end], start, end)


_STOPWORD_TAIL = {"and", "or", "but", "the", "a", "an", "of", "to", "in", "on", "at", "by", "for", "with", "from"}


def _clause_end(tokens: Sequence[_Token], j: int) -> int:
    """Where a reported clause starting at ``j`` ends: a semicolon, ", adding ...", the unit's end."""
    n = len(tokens)
    end = n
    for k in range(j, n):
        if tokens[k].text in {";", ".", "?", "!"} and k + 1 < n:
            end = k
            break
        if tokens[k].text == "," and k + 1 < n and (tokens[k + 1].low in _CLAUSE_BREAKS
                                                     or tokens[k + 1].low == "according"
                                                     and k + 2 < n and tokens[k + 2].low == "to"):
            end = k
            break
        if tokens[k].text == "," and k + 2 < n and tokens[k + 1].low in {"and", "but"} and (
                tokens[k + 2].low in VERBS or tokens[k + 2].low.endswith("ed") and tokens[k + 2].text.islower()):
            end = k  # "Ryan said he was “not ready”, and suggested ...": the speaker's next act
            break
    while end > j and tokens[end - 1].text in _STOP_COMMA:
        end -= 1
    return end


def _verb_cue(tokens: Sequence[_Token], i: int, lemma: str, found: list[_Found]) -> _Found | None:
    n = len(tokens)
    verb = tokens[i].low
    floor = found[-1].cue + 1 if found else 0
    # a unit joins sentences a quotation spans: look no further back than this one's start
    floor = next((k + 1 for k in range(i - 1, floor - 1, -1) if tokens[k].text in {".", "?", "!"} and not (
        k > 0 and _PARTY_STATE_RE.fullmatch(tokens[k - 1].text))), floor)  # "R-Ky." ends no sentence
    if verb.endswith("ing"):
        # "..., saying ..." / "X issued a statement asserting that ...": the subject speaks
        if i == 0 or not (tokens[i - 1].text == "," or tokens[i - 1].low in SPEAKER_NOUNS):
            return None
        if lemma not in _CLAUSE_VERBS and not (lemma == "*" and any(t.quote for t in tokens[i + 1:i + 8])):
            return None
        subject = found[-1].speaker if found else _subject(tokens, i)
        if subject is None:
            return None
        start, end = _after_cue(tokens, i, lemma)
        return _Found(start, end, subject, verb, i) if end > start else None
    if i > 0 and (tokens[i - 1].low in _NOUN_BEFORE or tokens[i - 1].low.endswith(("'s", "’s"))):
        return None  # "the Kremlin's claim", "a report": nouns, not cues
    if lemma in {"state", "report"} and i + 1 < n:
        nxt = tokens[i + 1]
        if not verb.endswith("ed") and (nxt.capital and nxt.text != "I" or not (
                nxt.low in {"that", "he", "she", "it", "they", "we"} or nxt.quote or nxt.text in {":", ",", "."})):
            return None  # "Ohio state Sen. Nina Turner", "Central Asian states and ...": nouns
    k = _before_paren(tokens, _skip_aux_back(tokens, _went_on_to(tokens, i, floor)), floor)
    k = _before_party_state(tokens, k, floor)
    sp = _speaker_before(tokens, k, floor)
    if (sp is None or not _after_quotation(tokens, sp.start, floor)) and any(t.quote for t in tokens[floor:k]):
        # next to a quotation any noun phrase may speak: "“...,” the gambling tycoon told Reuters"
        # (a phrase between floor and k can follow a quotation only if one lies there)
        near = _speaker_before(tokens, k, floor, loose=True)
        if near is not None and _after_quotation(tokens, near.start, floor) and (sp is None or near.start < sp.start):
            sp = near
    if sp is None:
        # "RNC spokesman Sean Spicer on Thursday evening said ...": a time between speaker and cue
        j = k
        while j > floor and k - j < 5 and (tokens[j - 1].low in _TAIL_WORDS or tokens[j - 1].low.isdigit()
                                           or tokens[j - 1].low.rstrip(".") in _MONTHS_DAYS):
            j -= 1
        while j < k and tokens[j].low not in {"on", "in", "at", "during", "last", "this", "earlier", "late", "later"}:
            j += 1
        if floor < j < k:
            sp = _speaker_before(tokens, j, floor)
    if sp is None and k - 1 > floor and tokens[k - 1].text == ",":
        # "Three US officials, speaking to NBC News on Wednesday, said ..."
        opening = next((j for j in range(k - 2, max(floor, k - 24) - 1, -1) if tokens[j].text == ","), None)
        if opening is not None and not any(t.quote for t in tokens[opening:k]):
            sp = _speaker_before(tokens, opening, floor)
            if sp is not None and sp.start != floor and not tokens[sp.start - 1].quote and not (
                    sp.start - 1 == floor and tokens[floor].low in {"but", "and", "so", "yet", "still"}) and not (
                    tokens[opening + 1].low == "who" and tokens[sp.start - 1].text == ","):
                sp = None  # but "At one point, Trump, who has 9 million followers, tweeted"
            if sp is not None and _appositive(tokens[sp.start:sp.end], tokens[opening + 1:k - 1]) and all(
                    _is_np_word(t) for t in tokens[opening + 1:k - 1]):
                sp = _describe(tokens[sp.start:k - 1], sp.start, k - 1)  # "his wife, Gabriela Lazar, wrote"
    if sp is None and k - 1 > floor and tokens[k - 1].low in {"and", "but"} and lemma in _CLAUSE_VERBS:
        # "She blamed the violence on ..., and said it was unnerving": the subject goes on
        subject = found[-1].speaker if found else _subject(tokens, k - 1)
        if subject is not None:
            start, end = _after_cue(tokens, i, lemma)
            return _Found(start, end, subject, verb, i) if end > start else None
    if sp is not None and sp.start > 0 and tokens[sp.start - 1].low in {"which", "that", "what", "who", "whom"}:
        return None  # "... the Kremlin, which it says was ...": a nested aside
    if sp is not None:
        return _subject_cue(tokens, i, lemma, sp, floor)
    # inverted: "“...,” said Peskov" / "..., said the ministry."
    if i > floor and (tokens[i - 1].text == "," or tokens[i - 1].quote) and lemma not in _THOUGHT:
        sp = _speaker_after(tokens, i + 1, loose=tokens[i - 1].quote or (i > 1 and tokens[i - 2].quote))
        if sp is not None:
            after = _tail_end(tokens, _past_paren(tokens, sp.end))
            if after < n and tokens[after].text not in _STOP_COMMA:
                after = _circumstance_end(tokens, _past_paren(tokens, sp.end))
            if after < n and tokens[after].text not in _STOP_COMMA:
                return None
            content_end = i
            while content_end > floor and tokens[content_end - 1].text in _DASHES:
                content_end -= 1
            return _Found(floor, content_end, sp, verb, i) if content_end > floor else None
    return None


_INTRODUCERS = {"at", "in", "on", "after", "before", "during", "when", "while", "since", "following", "last",
                "earlier", "later", "speaking", "asked", "responding", "writing", "addressing"}
_WH = {"whether", "if", "why", "how", "what", "who", "when", "where"}
_OBJECT_PRONOUNS = {"him", "her", "them", "me", "us", "you", "it"}
_CLAUSE_VERBS = {"say", "tell", "claim", "add", "state", "note", "argue", "warn", "insist", "explain", "announce",
                 "write", "tweet", "report", "assert", "declare", "stress", "emphasize", "emphasise",
                 "acknowledge", "admit", "confirm", "suggest", "predict", "allege",
                 "contend", "maintain", "believe", "think", "reveal", "concede", "underline", "indicate",
                 "caution", "recall", "estimate", "observe", "remark", "testify", "disclose", "posit",
                 "conclude", "complain", "counter", "boast", "reiterate", "repeat", "mention"}
# unions the rules test against, made once
_DETERMINERS_ARTICLES = _DETERMINERS | {"the", "a", "an"}
_AUX_BACK = _AUX - {"to", "in", "on", "not"}
_SOURCE_GOES_ON = _PREPOSITIONS | {"and", "or", "by", "of"}
_CLAUSE_BREAKS = _BREAKS | {"while", "whereas"}
_STOP_COMMA = _STOP_PUNCT | {","}
_BREAKS_CONJUNCTIONS = _BREAKS | _CONJUNCTIONS
_CLAUSE_VERBS_ANY = _CLAUSE_VERBS | {"*"}
_CIRCUMSTANCE_STARTS = _PREPOSITIONS | {"while", "when", "as", "after", "outside", "near"}
_CONTENT_EDGES = _DASHES | _STOP_PUNCT | {":"}


def _subject_cue(tokens: Sequence[_Token], i: int, lemma: str, sp: _Speaker, floor: int) -> _Found | None:
    """A cue with its speaker before it: "X said (that) ...", "..., X said.", "..., X said, ..."."""
    n = len(tokens)
    verb = tokens[i].low
    before = sp.start
    if before > floor and (tokens[before - 1].text in _DASHES or tokens[before - 1].quote):
        content_end = before
        while content_end > floor and tokens[content_end - 1].text in _DASHES:
            content_end -= 1
        if lemma == "*" and not tokens[content_end - 1].quote:
            return None
        after = _tail_end(tokens, i + 1)
        if content_end > floor:
            if after + 1 < n and tokens[after].text == "," and tokens[after + 1].quote:
                # "“...,” he said, “...”" and "An economic downturn, he said, “could be ...”", but in
                # "At one point on Sunday, Trump tweeted, “...”" what comes before is when, not what
                if tokens[floor].low in _INTRODUCERS and not any(t.quote for t in tokens[floor:before]):
                    return _Found(after + 1, _clause_end(tokens, after + 1), sp, verb, i)
                return _Found(floor, _clause_end(tokens, after + 1), sp, verb, i, (content_end, after + 1))
            if tokens[content_end - 1].quote:
                start = floor
                colon = [k for k in range(floor, content_end) if tokens[k].text == ":"]
                if colon and all(t.quote for t in tokens[colon[-1] + 1:content_end]):
                    start = colon[-1] + 1  # "... posted a message: “Men, ...,” she wrote."
                if after < n and tokens[after].text == "." and after + 1 < n and all(
                        t.quote or t.text in _STOP_PUNCT for t in tokens[after + 1:]):
                    return _Found(start, n, sp, verb, i, (content_end, after + 1))  # “...,” X said. “...”
                return _Found(start, content_end, sp, verb, i)
            if after >= n or tokens[after].text in _STOP_PUNCT:
                return _Found(floor, content_end, sp, verb, i)  # "..., X said."
            if tokens[after].text == "," and after + 1 < n and (
                    tokens[after + 1].low in _BREAKS_CONJUNCTIONS or tokens[after + 1].quote):
                return _Found(floor, content_end, sp, verb, i)
            if tokens[after].text == ",":
                # parenthetical: "The hashtag, he said, was even more popular"
                return _Found(floor, _clause_end(tokens, after + 1), sp, verb, i, (content_end, after + 1))
    if lemma in _THOUGHT and sp.name is None and sp.pronoun is None:
        return None
    if before > floor and tokens[before - 1].low in {"if", "whether", "asked", "what", "how"}:
        return None  # "Asked if he thought ...": a question put to someone
    start, end = _after_cue(tokens, i, lemma)
    if end > start and _tail_end(tokens, start) >= end and not tokens[start].quote:
        return None  # "X said in a statement": where, not what
    if end > start and lemma == "claim" and tokens[start].low in {"responsibility", "credit", "victory"}:
        return None
    if end <= start:
        stop = _tail_end(tokens, i + 1)
        if stop + 1 >= n and stop < n and tokens[stop].text == ":":
            return _Found(n, n, sp, verb, i)  # "X said on Monday:" and the quotation follows
        return None
    if tokens[start].quote and start + 1 < end and (
            tokens[start + 1].text == "," or tokens[start + 1].low in _CONJUNCTIONS) and not any(
            t.quote for t in tokens[start + 1:end]):
        end = start + 1  # "X said: “...,” but in fact ...": the quotation is the statement
    if lemma == "*" and not any(t.quote for t in tokens[start:min(end, start + 12)]):
        return None
    if lemma in _PROMISES and tokens[start].low == "to":
        return _Found(start, end, sp, verb, i)  # "Trump vowed to “bomb the hell” out of ..."
    if lemma not in _CLAUSE_VERBS_ANY and not (tokens[start - 1].low == "that" or tokens[start].quote
                                                   or lemma == "ask" and tokens[start].low in _WH
                                                   or tokens[start - 1].text == ":"):
        return None  # "Russia accuses the US of ...": an object, not a statement
    if lemma in _THOUGHT and tokens[start - 1].low != "that":
        return None
    return _Found(start, end, sp, verb, i)


def _tail_end(tokens: Sequence[_Token], j: int) -> int:
    """Skip what may follow a cue: "on Thursday", "in a statement", "during his daily briefing"."""
    n = len(tokens)
    k = j
    while k < n and k - j < 20 and not tokens[k].quote and (
            tokens[k].low in _TAIL_WORDS or tokens[k].capital or tokens[k].low.isdigit()):
        k += 1
    return k


def _circumstance_end(tokens: Sequence[_Token], j: int) -> int:
    """Past a phrase of where or when after an inverted cue's speaker ("said Peskov during a visit
    to Ohio."), when it runs to a comma or the sentence's end with no quotation or cue in it."""
    n = len(tokens)
    if j >= n or tokens[j].low not in _CIRCUMSTANCE_STARTS:
        return j
    k = j + 1
    while k < n and k - j < 20 and not tokens[k].quote and tokens[k].text not in _STOP_COMMA \
            and tokens[k].low not in _CUE_WORDS:
        k += 1
    return k if k == n or tokens[k].text in _STOP_COMMA else j


def _after_cue(tokens: Sequence[_Token], i: int, lemma: str) -> tuple[int, int]:
    """The reported clause after a cue, without "that", an object ("told reporters"), a time."""
    n = len(tokens)
    j = i + 1
    if lemma == "ask" and (wh := next((m for m in range(j, min(j + 5, n)) if tokens[m].low in _WH), None)) is not None \
            and all(t.capital or t.low in _OBJECT_PRONOUNS for t in tokens[j:wh]):
        return wh, _clause_end(tokens, wh)  # "asked (him) whether ...": a question reported
    if lemma in _OBJECT_VERBS:
        window = tokens[j:j + 10]
        that = next((k for k, t in enumerate(window) if t.low == "that" and not t.quote), None)
        if that is not None and all(not t.quote and t.text not in {",", ":"} and t.low not in VERBS
                                    for t in window[:that]):
            j += that + 1
        else:
            j = _tail_end(tokens, j)
        if j < n and tokens[j].low in {"to", "not"}:
            return j, j  # "told him not to worry": an order, not a statement
    else:
        k = _tail_end(tokens, j)
        if k < n and (tokens[k].low == "that" or tokens[k].text in {",", ":"}):
            j = k
        elif lemma in _PROMISES and (to := next((m for m in range(j + 1, min(k + 1, n)) if tokens[m].low == "to"),
                                                 None)) is not None:
            return to, _clause_end(tokens, to)  # "promised Sunday at a rally to end ..."
        elif j < n and tokens[j].low in _PREPOSITIONS:
            window = tokens[j:j + 10]  # "said at a Post-sponsored tech conference that ..."
            that = next((m for m, t in enumerate(window) if t.low == "that"), None)
            if that is not None and all(not t.quote and t.text not in {",", ":"} and t.low not in VERBS
                                        for t in window[:that]):
                j += that
    while j < n and tokens[j].text in {",", ":", "—", "–"}:
        j += 1
    if j < n and tokens[j].low == "that":
        j += 1
    return j, _clause_end(tokens, j)


def _subject(tokens: Sequence[_Token], i: int) -> _Speaker | None:
    """The subject of the clause before token ``i``: the nearest speaker phrase a verb follows
    ("Davis, a longtime liberal, lashed out at ..., telling"), else the first speaker phrase."""
    for end in range(i - 1, max(0, i - 4 * NP_TOKENS), -1):
        t = tokens[end]
        if t.text.islower() and (t.low in _SUBJECT_NEXT or t.low in _CONTRACTED or t.low.endswith("ed")) and (
                sp := _speaker_before(tokens, end)) is not None:
            return sp
    for end in range(1, min(i, 3 * NP_TOKENS)):
        nxt = tokens[end]
        if nxt.quote or nxt.text == "," or _is_np_word(nxt) and nxt.low not in VERBS:
            continue
        sp = _speaker_before(tokens, end)
        if sp is not None:
            return sp
    return None


# --------------------------------------------------------------------------
# Names in the article: full forms, and who a pronoun stands for

_PLACE_STARTS = {"united", "new", "north", "south", "east", "west", "white", "st.", "saint", "supreme", "central",
                 "great", "los", "san", "las", "hong", "middle", "european", "soviet", "islamic", "social",
                 "secret", "national", "state", "federal", "grand", "prime", "ground", "security", "capitol",
                 "wall", "silicon", "air", "fort", "mount", "lake", "cape", "sri", "saudi", "el", "puerto"}


_HEADING_RE = re.compile(r"[A-Z][\w'’\-]*(?: [A-Z][\w'’\-]*){0,5}\.?")
_PERSON_RE = re.compile(r"[A-Z][\w'’\-]*\.?"
                        r"(?: (?:[A-Z][\w'’\-]*\.?|(?:de|van|von|bin|al|da|del|der|la|le)(?= [A-Z]))){0,5}")
_NEXT_WORD_RE = re.compile(r"(?:, [^,“”\"]{1,80},)? ([a-z]+)\b")
# titles that make one capitalized word a person ("President Obama", "Sen. Sanders"), unlike the
# modifiers in _TITLES ("National" in "Republican National Convention")
_PERSON_TITLES = _HONORIFICS | set("""president sen sen. senator rep rep. representative gov gov. governor mayor
judge justice gen. col col. lt lt. capt capt. sgt sgt. adm adm. admiral prof prof. rev rev. chancellor king queen
prince princess pope ambassador secretary minister chairman chairwoman spokesman spokeswoman sheriff detective
inspector congressman congresswoman councilman councilwoman commissioner commander premier speaker
president-elect lady lord""".split())
# last words of capitalized runs that name things, not people ("Trans-Pacific Partnership", "Aral Sea")
_THING_HEADS = set("""sea ocean river lake bay gulf strait shoal island islands peninsula mountain mountains valley
desert coast street avenue road square park plaza county city town village province region district state
states act bill law amendment treaty accord agreement deal plan program programme day war wars summit conference
convention caucus caucuses primary debate award prize cup games series tower towers hotel center centre hall
building airport station church mosque temple school college academy hospital club plaza mall studio studios
magazine review show hour week month year times journal tribune gazette herald radio channel festival
museum library prison bridge canyon falls harbor harbour port beach forest""".split())
_THING_SUFFIXES = ("tion", "ment", "ship", "ism", "ity", "ness", "ology", "ics")
_PLACE_BEFORE = {"in", "from", "to", "across", "throughout", "into", "near", "outside", "inside", "toward",
                 "towards", "of", "at", "around"}
_OPENING_PREPOSITIONS = _PLACE_BEFORE | {"among", "like", "unlike", "by", "for", "with", "after", "before", "on",
                                         "during", "despite", "beyond", "amid"}
_ROLE_WORDS = SPEAKER_NOUNS | _TITLES  # "McConnell spokesman Don Stewart": McConnell is no subject
_NEVER_ALONE = _NOT_NAMES | _TITLES | _ORG_WORDS | set(VERBS)
_CONTRACTED = {"wouldn", "didn", "doesn", "isn", "wasn", "hasn", "hadn", "haven", "won", "couldn", "shouldn",
               "don", "aren", "weren", "can"}
_SUBJECT_NEXT = {"is", "was", "has", "had", "have", "will", "would", "did", "does", "do", "can", "could", "may",
                 "might", "should", "must", "also", "then", "later", "never", "still", "now", "who", "himself",
                 "herself", "went", "made", "took", "gave", "got", "came", "became", "won", "lost", "ran", "spoke",
                 "met", "left", "sent", "kept", "held", "led", "sought", "felt", "knew", "began", "seems",
                 "appears", "wants", "needs", "tried", "called", "hopes", "plans"}
# candidates for "he" or "she" as a word, checked by _pronoun_words
_PRONOUN_SUBJECT_RE = re.compile(r"[HhSs](?<!\w[HhSs])h?e\b")  # not after a letter, digit or "_"
_PRONOUN_SUBJECTS = {"He", "he", "She", "she"}


class _Mention(NamedTuple):
    """A run of capitalized words that may name a person, as ``_people_in`` finds it."""

    name: str
    rank: int  # for ``_People.see``: 1 the sentence's subject (first, or a verb follows), else 2
    start: int  # where it starts in the unit
    sex: int  # 1 "Mr.", "spokesman"; -1 "Mrs.", "spokeswoman"; 0 untold
    titled: bool  # an honorific or title stood before it: a person even as one word ("Mr. Rogan")
    quoted: bool  # inside quotation marks: someone the speaker mentions, not an antecedent


class _Run(NamedTuple):
    """What a capitalized run says of itself, whatever its sentence (see :func:`_run_parts`)."""

    name: str  # the words that may name a person, joined
    lone: str | None  # that one word, when it is one word
    cut: bool  # a title stood in the run before the name
    skipped: bool  # words that cannot start a name were dropped from its front
    sex: int  # told by the title words in the run ("spokeswoman"), from the last: 1, -1, or 0
    titled: bool  # a person's title in the run ("President")
    possessive: bool  # the run ends in 's


@functools.lru_cache(maxsize=1 << 16)
def _run_parts(run: str) -> _Run | None:
    """The part of :func:`_people_in`'s checks that depends on the run alone, made once per
    distinct run (names recur across a corpus): None when it never names a person."""
    if " " not in run and run.lower().rstrip(".") in _NEVER_ALONE:
        return None  # most runs are one word that starts a sentence: "The", "But", "Monday"
    words = [w[:-2] if w.endswith(("'s", "’s")) else w for w in run.split(" ")]
    if words[-1].endswith(".") and len(words[-1]) > 3:
        words[-1] = words[-1][:-1]  # "... said Donald Trump.": the sentence's full stop
    low = [w.lower().rstrip(".") for w in words]
    titled = [k for k, w in enumerate(low) if w in _TITLES]
    cut = titled[-1] + 1 if titled else 0
    if cut:
        words, ahead, low = words[cut:], low[:cut], low[cut:]  # "Russian President Vladimir Putin"
    else:
        ahead = []
    skipped = 0
    while low and (low[0] in _NOT_NAMES or low[0] in VERBS):
        words, low, skipped = words[1:], low[1:], skipped + 1
    while low and low[-1] in _NOT_NAMES:
        words, low = words[:-1], low[:-1]
    if low and low[-1] in {"jr", "sr", "ii", "iii"}:
        words, low = words[:-1], low[:-1]
    if not 1 <= len(words) <= 4 or low[0] in _PLACE_STARTS or any(
            w in _ORG_WORDS or w in _TITLES for w in low) or any(w.isupper() for w in words) \
            or low[-1] in _THING_HEADS or low[-1].endswith(_THING_SUFFIXES):
        return None
    sex = next((1 if w in _MALE else -1 for w in reversed(ahead) if w in _MALE or w in _FEMALE), 0)
    return _Run(" ".join(words), words[0] if len(words) == 1 else None, bool(cut), bool(skipped), sex,
                any(w in _PERSON_TITLES for w in ahead), run.endswith(("'s", "’s")))


def _people_in(unit: str, spans: Sequence[tuple[int, int]], people: _People) -> list[_Mention]:
    """Runs of one to four capitalized words that may be a person ("Dmitry Peskov", "Peskov");
    ``spans``: the unit's quotations. One word is kept only when ``people`` knows it or a title
    or "Mr." comes with it (a lone capitalized word is as likely a place)."""
    out: list[_Mention] = []
    if _HEADING_RE.fullmatch(unit):
        return out  # "Divisive Legacy.": a heading, not a name
    for m in _PERSON_RE.finditer(unit):
        run = _run_parts(m.group())
        if run is None:
            continue
        at = m.start()
        if at and "&" in unit[max(0, at - 3):at]:
            continue  # "Moore & Van Allen": a firm
        word_before = ""
        if at and unit[at - 1] in " ,":
            word_before = unit[max(0, at - 20):at].rstrip(" ,").rpartition(" ")[2].lower().rstrip(".")
        told = 1 if word_before in _MALE else -1 if word_before in _FEMALE else 0
        if run.lone is not None and not run.cut and not told and not people.knows(run.lone):
            continue  # the common case: a lone word nobody was called
        if not run.cut and not run.skipped and word_before in _PLACE_BEFORE:
            continue  # "in Europe", "from Texas": a place
        sex = run.sex or told
        titled_person = sex != 0 or run.titled
        if run.lone is not None and not titled_person and not people.knows(run.lone):
            continue
        nxt = _NEXT_WORD_RE.match(unit, m.end())
        follows = nxt.group(1) if nxt else ""
        verb = follows in VERBS or follows in _SUBJECT_NEXT or follows in _CONTRACTED or follows.endswith("ed")
        subject = not run.possessive and (verb or at == 0 and follows not in _ROLE_WORDS)
        out.append(_Mention(run.name, 1 if subject else 2, at, sex, titled_person,
                            any(a <= at < b for a, b in spans)))
    return out


@functools.lru_cache(maxsize=1 << 16)
def _bare(name: str) -> tuple[str, ...]:
    """A name's words without a leading honorific ("Mr. Peskov" -> ("Peskov",))."""
    parts = name.split()
    return tuple(parts[1:] if len(parts) > 1 and parts[0].lower() in _HONORIFICS else parts)


def _last(bare: tuple[str, ...]) -> str:
    """A name's last word folded (``_fold``), the key its surname is known by; "" for no words."""
    return _fold(bare[-1]) if bare else ""


class _People:
    """Names met so far in one article, for full forms and pronouns."""

    def __init__(self) -> None:
        self.full: dict[str, str] = {}  # surname (folded) -> first full name given
        self.titled: set[str] = set()  # one-word names given with a title ("Mr. Rogan")
        self.recent: list[tuple[int, str, str, int]] = []  # (sentence, name, kind, rank), in order
        self.sex: dict[str, int] = {}  # full name -> evidence: > 0 a man, < 0 a woman

    def learn(self, name: str) -> None:
        """Keep a full name's surname, for "Peskov" later."""
        bare = _bare(name)
        self._learn(bare, _last(bare))

    def _learn(self, bare: tuple[str, ...], last: str) -> None:
        """``learn`` of a name's words (``bare``) and its folded last word (``last``)."""
        if len(bare) >= 2:
            self.full.setdefault(last, " ".join(bare))

    def see(self, position: int, name: str, kind: str, rank: int, titled: bool = False) -> None:
        """``rank``: 0 a speaker, 1 a sentence's subject, 2 any other name. What ``learn``, ``known``
        and ``full_name`` do, in that order, from one look-up of the name's words (it is called for
        every name of every sentence)."""
        bare = _bare(name)
        last = _last(bare)
        if kind == "person":
            self._learn(bare, last)
        if (titled or rank == 0 and kind == "person") and len(bare) == 1:
            self.titled.add(last)  # "Mr. Rogan", or "Reid" once "Reid said": a person
        if rank and kind == "person" and not self._known(bare, last):
            return  # a lone capitalized word may be a place
        self.recent.append((position, self._full_name(bare, last, name), kind, rank))
        if len(self.recent) > 200:
            del self.recent[:100]

    def known(self, name: str) -> bool:
        """A person ``see`` keeps: a full name, or one word the article gave in full or with a title."""
        bare = _bare(name)
        return self._known(bare, _last(bare))

    def _known(self, bare: tuple[str, ...], last: str) -> bool:
        """``known`` of a name's words and its folded last word."""
        return len(bare) > 1 or bool(bare) and (last in self.full or last in self.titled)

    def knows(self, word: str) -> bool:
        """``known`` of one word."""
        folded = _fold(word)
        return folded in self.full or folded in self.titled

    def note_sex(self, name: str, evidence: int) -> None:
        if evidence:
            full = self.full_name(name)
            self.sex[full] = self.sex.get(full, 0) + evidence

    def fits(self, name: str, pronoun: str | None) -> bool:
        """Whether "he" or "she" may stand for ``name``, as far as the article has told its sex."""
        sex = self.sex.get(self.full_name(name), 0)
        return not (pronoun == "he" and sex < 0 or pronoun == "she" and sex > 0)

    def full_name(self, name: str) -> str:
        bare = _bare(name)
        return self._full_name(bare, _last(bare), name)

    def _full_name(self, bare: tuple[str, ...], last: str, name: str) -> str:
        """``full_name`` of ``name``, its words and its folded last word."""
        return self.full.get(last, name) if len(bare) == 1 else name

    def resolve(self, position: int, pronoun: str) -> str | None:
        """The nearest sentence before with someone compatible in it, and in it the speaker, else the
        subject, else the first name mentioned."""
        wants = {"he": {"person"}, "she": {"person"}, "they": {"plural", "org"}, "it": {"org"}}.get(pronoun, set())
        best: tuple[int, str] | None = None
        at_position = None
        for at, name, kind, rank in reversed(self.recent):
            if position - at > PRONOUN_LOOKBACK or (best is not None and at != at_position):
                break
            if kind in wants and (best is None or rank <= best[0]) and self.fits(name, pronoun):
                best, at_position = (rank, name), at
        return best[1] if best else None


def _pronoun_subject(unit: str, position: int, names: Sequence[_Mention], people: _People,
                     spans: Sequence[tuple[int, int]]) -> str | None:
    """"He nodded ...": a "he" or "she" named before anyone else in its sentence, outside quotation
    marks, is that sentence's subject, and the person it stands for the next pronoun's antecedent."""
    for at, word in _pronoun_words(unit):
        if any(a <= at < b for a, b in spans):
            continue
        if any(not n.quoted and n.start < at and people.known(n.name) for n in names):
            return None
        return people.resolve(position, word.lower())
    return None


def _pronoun_words(unit: str) -> Iterator[tuple[int, str]]:
    """(where, word) of each "he", "He", "she", "She" that is a word: what ``\\b([Hh]e|[Ss]he)\\b``
    finds, from candidates a plainer regex finds faster ("Hhe", "Se" dropped; the lookbehind after
    the first letter drops the "he" of "the" without slowing the scan for that letter)."""
    for m in _PRONOUN_SUBJECT_RE.finditer(unit):
        if (word := m.group()) in _PRONOUN_SUBJECTS:
            yield m.start(), word


@functools.lru_cache(maxsize=8192)
def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if c.isalnum() or c in "-")


# --------------------------------------------------------------------------
# Units: a sentence, or the run of sentences one quotation spans


def _units(body: str, sentences: Sequence[str] | None) -> Iterable[tuple[int, str, bool, list[tuple[int, int]], bool]]:
    """(first position, text, starts a paragraph, its quotations, whether it has a quotation mark)
    of each unit, in order; the quotations are :func:`_quotations` of the text, found once for
    joining and reading. Positions are those of
    ``text.split_sentences(body)``, which splits paragraph by paragraph; ``sentences`` may hand
    that split in (the build has it already): each is then placed in its paragraph by search."""
    position = 0
    given = 0  # the next of ``sentences`` to place
    for paragraph in text.paragraphs(body):
        if sentences is None:
            block = text.split_sentences(paragraph)
        else:
            block, at = [], 0
            while given < len(sentences) and (found := paragraph.find(sentences[given], at)) >= 0:
                block.append(sentences[given])
                at = found + len(block[-1])
                given += 1
        i = 0
        while i < len(block):
            j = i
            joined = block[i]
            quoted: tuple[list[tuple[int, int]], int | None, bool] | None = None  # once asked for
            while j + 1 < len(block) and j - i + 1 < MAX_QUOTE_SENTENCES and len(joined) <= MAX_SENTENCE_CHARS:
                quoted = _quoted_spans(joined)
                if not (quoted[1] is not None or _asks_then_cue(joined, block[j + 1])
                        or block[j + 1].startswith(")")):  # "Sen. Ron Johnson (R-Wis." | ") said ..."
                    break
                j += 1
                joined += ("" if block[j].startswith(")") else " ") + block[j]
                quoted = None
            spans, opened, marked = _quoted_spans(joined) if quoted is None else quoted
            if opened is not None:
                spans.append((opened, len(joined)))
            yield position + i, joined, i == 0, spans, marked
            i = j + 1
        position += len(block)


def _asks_then_cue(sentence: str, following: str) -> bool:
    """“Why are you still endorsing him?” | Obama asked.: the splitter cut after the question."""
    return sentence.endswith(("?”", "!”", '?"', '!"')) and len(following) < 200 and _may_quote(following)


def extract(body: str | None, sentences: Sequence[str] | None = None) -> list[Quote]:
    """The attributed statements of an article body, in order; ``sentences``, if given, must be
    ``text.split_sentences(body)`` (saves splitting again)."""
    people = _People()
    out: list[Quote] = []
    carry: Quote | None = None  # the speaker a following bare quotation continues
    for position, unit, paragraph_start, spans, marked in _units(body or "", sentences):
        made: list[tuple[Quote, str]] = []
        colon: Quote | None = None
        names = _people_in(unit, spans, people)
        subject = _pronoun_subject(unit, position, names, people, spans)
        if len(unit) <= MAX_SENTENCE_CHARS and (marked or _has_cue_word(unit)):  # _may_quote, its marks known
            tokens = _tokens(unit, spans)
            hits = _cues(tokens)
            if not hits and spans:  # a quotation among the tokens: each span is one
                hits = _cues(tokens, other=True)
            for hit in hits:
                if hit.speaker.pronoun in {"he", "she"} and made and made[-1][1] == "person" and people.fits(
                        made[-1][0].speaker, hit.speaker.pronoun):
                    hit.speaker = _Speaker(hit.speaker.start, hit.speaker.end, made[-1][0].speaker, made[-1][0].speaker,
                                           None, "person")  # "Putney told CNN ..., but he said ..."
                q = _quote(tokens, unit, hit, position, people, names)
                if q is None:
                    continue
                if hit.start == hit.end:
                    colon = q
                else:
                    made.append((q, hit.speaker.kind))
            if not made and carry is not None and tokens and tokens[0].quote and all(
                    t.quote or t.text in _STOP_COMMA for t in tokens):
                words = " ".join(_strip_marks(t.text) for t in tokens if t.quote)
                if carry.quote and not paragraph_start:
                    carry.quote += " " + words  # the quotation goes on: one statement over sentences
                    colon = carry
                else:
                    made.append((Quote(position, carry.speaker, carry.speaker_role, words, "direct", carry.verb),
                                 "person"))
        if subject is not None:  # it comes before every name of the sentence
            people.see(position, subject, "person", 1)
        for m in names:
            if m.quoted:
                people.learn(m.name)
                continue
            people.see(position, m.name, "person", m.rank, m.titled)
            people.note_sex(m.name, 3 * m.sex)
        for q, kind in made:
            people.see(position, q.speaker, kind, 0)
            out.append(q)
        carry = colon or next((q for q, _ in reversed(made) if q.kind == "direct"), None)
    for q in out:  # "Peskov" in the lead, "Kremlin spokesman Dmitry Peskov" further down
        q.speaker = people.full_name(q.speaker)
    return out


def _quote(tokens: Sequence[_Token], unit: str, hit: _Found, position: int, people: _People,
           names: Sequence[_Mention]) -> Quote | None:
    sp = hit.speaker
    here = _before(tokens, sp.start, names, people) if sp.pronoun in {"he", "she"} else None  # only they use it
    speaker, role = _speaker_text(sp, position, people, here)
    if speaker is None:
        return None
    if hit.start == hit.end:
        return Quote(position, speaker, role, "", "direct", hit.verb)
    skip_from, skip_to = hit.skip
    content = [t for k, t in enumerate(tokens[hit.start:hit.end], hit.start) if not skip_from <= k < skip_to]
    while content and content[0].text in _CONTENT_EDGES:
        content = content[1:]
    while content and content[-1].text in _CONTENT_EDGES:
        content = content[:-1]
    if not content:
        return None
    if all(t.quote for t in content):
        kind, words = "direct", " ".join(_strip_marks(t.text) for t in content)
    else:
        kind, words = "indirect", _join(unit, content)
    if not text.has_words(words, 2):
        return None
    return Quote(position, speaker, role, words, kind, hit.verb)


def _join(unit: str, content: Sequence[_Token]) -> str:
    """The content's text as written, with an attribution in its middle left out."""
    pieces = []
    run_start, prev_end = content[0].start, content[0].end
    for previous, t in zip(content, content[1:], strict=False):
        if t.start != previous.end and unit[previous.end:t.start].strip():
            pieces.append(unit[run_start:prev_end])
            run_start = t.start
        prev_end = t.end
    pieces.append(unit[run_start:prev_end])
    return " ".join(p.strip(" ,") for p in pieces if p.strip(" ,"))


def _before(tokens: Sequence[_Token], at: int, names: Sequence[_Mention], people: _People) -> str | None:
    """The person a pronoun at token ``at`` may stand for in its own sentence: the first named
    before it outside quotation marks ("Gov. Mary Fallin vetoed the bill because she said ...")."""
    if at >= len(tokens):
        return None
    limit = tokens[at].start
    pronoun = tokens[at].low
    for m in names:
        if m.start >= limit:
            break
        if not m.quoted and m.rank == 1 and people.known(m.name) and people.fits(m.name, pronoun):
            return people.full_name(m.name)
    return None


def _speaker_text(sp: _Speaker, position: int, people: _People, here: str | None) -> tuple[str | None, str | None]:
    """The speaker as the article first gives it in full, and the role stated here."""
    if sp.pronoun is not None:
        if here is not None and sp.pronoun in {"he", "she"}:
            return here, None
        return people.resolve(position, sp.pronoun) or sp.phrase, None
    if sp.name is not None:
        return people.full_name(sp.name), sp.role
    return sp.phrase, None


# --------------------------------------------------------------------------
# Speaker keys across the articles of one event


def speaker_key(speaker: str | None) -> str | None:
    """A speaker's name folded: lower case, no accents, honorifics or leading article."""
    if not speaker:
        return None
    return _speaker_key(speaker)


@functools.lru_cache(maxsize=1 << 16)
def _speaker_key(speaker: str) -> str | None:
    words = [_fold(w) for w in speaker.replace("’s", "").replace("'s", "").split()]
    words = [w for w in words if w and w not in {"the", "a", "an"} and w + "." not in _HONORIFICS
             and w not in _HONORIFICS]
    if not words or (len(words) == 1 and words[0] in _PRONOUNS):
        return None
    return " ".join(words)


def speaker_keys(quotes: Iterable[dict]) -> list[dict]:
    """Give every quote of one event's articles its ``speaker_key``: the folded name, joined to the
    shortest longer key it ends with, so "Peskov", "Mr. Peskov", "Dmitry Peskov" and "Kremlin
    spokesman Dmitry Peskov" are one speaker; a one-word key joins only when one name ends in it
    (two Clintons leave "Clinton" alone)."""
    rows = list(quotes)
    keys = [speaker_key(q.get("speaker")) for q in rows]
    names = {k for k in keys if k and " " in k}
    canonicals: dict[str, str] = {}

    def canonical(key: str) -> str:
        """The shortest name of ``names`` that ``key`` ends with after a space (one of its word
        suffixes), else ``key``: per key, its few suffixes looked up, not every name tried."""
        found = canonicals.get(key)
        if found is None:
            cut = len(key)
            found = key
            while (cut := key.rfind(" ", 0, cut)) >= 0:
                if key[cut + 1:] in names:
                    found = key[cut + 1:]
                    break
            canonicals[key] = found
        return found

    by_surname: dict[str, set[str]] = {}
    for name in names:
        by_surname.setdefault(name.rsplit(" ", 1)[1], set()).add(canonical(name))
    for q, key in zip(rows, keys, strict=True):
        if key and " " in key:
            key = canonical(key)
        elif key and len(by_surname.get(key, ())) == 1:
            key = next(iter(by_surname[key]))
        q["speaker_key"] = key
    return rows
