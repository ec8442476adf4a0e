"""Event clustering on small constructed cases, and the database adapter filling its tables."""

import math

import pytest
import sqlite_utils

from datasette_newsdigest import events, store
from datasette_newsdigest.events import Article

DAM = [
    Article("dam-ap", "Dam bursts above Velika Rijeka, thousands flee",
            "The Kostanj dam above Velika Rijeka burst early on Tuesday, sending a wall of water through "
            "the valley. Mayor Ivana Horvat said 4,200 residents were evacuated and 17 people were missing. "
            "Engineers had warned in March that the 1962 dam was leaking.",
            "2024-04-09", "Associated Press"),
    Article("dam-reuters", "Thousands evacuated after Kostanj dam collapse",
            "Rescue teams searched flooded streets in Velika Rijeka on Tuesday after the Kostanj dam gave way. "
            "Mayor Ivana Horvat put the number of evacuated residents at 4,200; 17 were still missing. "
            "Inspectors had flagged leaks in the 1962 structure this spring.",
            "2024-04-09T14:30:00", "Reuters"),
    Article("dam-bbc", "Velika Rijeka flood: what we know about the dam failure",
            "The Kostanj dam failed on Tuesday morning and flooded Velika Rijeka. Ivana Horvat, the town's "
            "mayor, said 17 people were unaccounted for and 4,200 had left their homes. The dam, built in "
            "1962, had been reported leaking.",
            "2024-04-10", "BBC"),
]
KREMLIN = [
    Article("kremlin-1", "Russia says it downed two drones aimed at the Kremlin",
            "Russia said on Wednesday it shot down two Ukrainian drones over the Kremlin overnight and called "
            "it an attempt on the life of President Vladimir Putin. Kremlin spokesman Dmitry Peskov said the "
            "drones were disabled by electronic warfare above the Senate Palace. Kyiv denied any role.",
            "2023-05-03", "Reuters"),
    Article("kremlin-2", "Kremlin drone incident: Peskov blames Kyiv",
            "Dmitry Peskov said two drones struck at the Kremlin's Senate Palace before dawn and accused Kyiv "
            "of trying to kill Vladimir Putin. Ukrainian officials denied involvement in the Kremlin incident.",
            "2023-05-04", "CNN"),
]
MOSCOW = [
    Article("moscow-1", "Drones hit Moscow office towers, Sobyanin says",
            "Drones struck two office towers in the Moscow City business district early on Sunday, Mayor Sergei "
            "Sobyanin said, shattering windows on the 21st floor. Vnukovo airport briefly closed. Russia's "
            "defence ministry blamed Ukraine and said a third drone was shot down over Odintsovo.",
            "2023-07-30", "Associated Press"),
    Article("moscow-2", "Vnukovo closes as drones strike Moscow City",
            "Sergei Sobyanin said facades of two Moscow City towers were damaged when drones hit before dawn on "
            "Sunday. Flights at Vnukovo were halted. The defence ministry said air defences downed a drone near "
            "Odintsovo and accused Ukraine.",
            "2023-07-30", "BBC"),
]
OTHER = [
    Article("wheat", "Wheat prices slide on record harvest forecast",
            "Chicago wheat futures fell 3% after the agriculture department raised its harvest forecast, "
            "with traders pointing to rain in Kansas and Nebraska.", "2024-04-09", "Bloomberg"),
    Article("museum", "Museum returns looted bronzes to Benin",
            "The Horniman Museum handed six bronze plaques to Nigerian officials in a ceremony in London, "
            "years after campaigners asked for their return.", "2024-04-09", "Guardian"),
    Article("chess", "Teenager wins national chess title",
            "A fifteen-year-old from Leeds won the national chess championship with a round to spare, "
            "beating two grandmasters along the way.", None, "BBC"),
]


def groups(articles, result):
    """The event of each article id."""
    return {a.id: e for a, e in zip(articles, result.event_of, strict=True)}


def test_same_event_across_outlets_joins_and_others_stay_single():
    articles = DAM + OTHER
    got = groups(articles, events.cluster(articles))
    assert got["dam-ap"] == got["dam-reuters"] == got["dam-bbc"]
    assert len({got[a.id] for a in OTHER} | {got["dam-ap"]}) == 4  # each unrelated article alone


def test_same_actors_on_another_day_with_other_facts_stay_apart():
    articles = KREMLIN + MOSCOW + OTHER
    got = groups(articles, events.cluster(articles))
    assert got["kremlin-1"] == got["kremlin-2"]
    assert got["moscow-1"] == got["moscow-2"]
    assert got["kremlin-1"] != got["moscow-1"]


FIRE = [  # one story, each outlet with its own angle: a small database of a single event
    Article("fire-local", "Wildfire forces evacuation of Cedar Falls",
            "A wildfire driven by dry winds jumped the ridge above Cedar Falls on Friday and forced the "
            "evacuation of about 3,000 residents. Fire chief Marta Lindqvist said crews were protecting the "
            "school and the water plant. Shelters opened at the county fairground, where volunteers handed "
            "out blankets, and the Red Cross set up cots in the gymnasium of Northside High. Ranchers moved "
            "horses and cattle to the rodeo arena on the edge of town.",
            "2024-08-16", "Cedar Falls Gazette"),
    Article("fire-wire", "Cedar Falls wildfire grows to 9,000 acres",
            "The Cedar Falls wildfire grew to 9,000 acres overnight, officials said on Saturday. Governor "
            "Dana Whitfield declared an emergency and asked for federal help. Two firefighters were treated "
            "for heat exhaustion, and power lines along Route 9 were cut. Air tankers from three neighbouring"
            " states dropped retardant until smoke grounded them in the afternoon. Meteorologists expect "
            "gusts of 50 mph through Sunday and no rain before September.",
            "2024-08-17", "Associated Press"),
    Article("fire-cause", "Investigators look at power line as cause of Cedar Falls fire",
            "Investigators are examining a downed power line as the possible cause of the Cedar Falls "
            "wildfire, the utility said. Lawyers for evacuated residents said they would seek damages. The "
            "utility's shares fell 6% in early trading, and analysts at Morgan Stanley warned that liability "
            "claims could exceed its insurance cover. The state regulator ordered an audit of vegetation "
            "clearing along transmission corridors.",
            "2024-08-18", "Reuters"),
    Article("fire-return", "Cedar Falls residents return to ash and a standing school",
            "Residents of Cedar Falls began returning home on Monday after the wildfire was contained. Dozens"
            " of houses on the ridge burned, but the school survived. Marta Lindqvist thanked volunteers who "
            "cleared brush. Insurers set up claim tents outside the library, and the mayor promised a public "
            "inquiry into the warning sirens that failed on the first night. A benefit concert at the brewery"
            " raised money for families who lost everything.",
            "2024-08-19", "Guardian"),
]


def test_a_small_database_of_one_event_stays_one_event():
    got = groups(FIRE, events.cluster(FIRE))
    assert len(set(got.values())) == 1


def test_undated_articles_cluster_on_content():
    undated = [Article(a.id, a.title, a.body, None, a.outlet) for a in DAM]
    articles = undated + OTHER
    got = groups(articles, events.cluster(articles))
    assert got["dam-ap"] == got["dam-reuters"] == got["dam-bbc"]
    mixed = [DAM[0], undated[1], DAM[2]] + OTHER
    got = groups(mixed, events.cluster(mixed))
    assert got["dam-ap"] == got["dam-reuters"] == got["dam-bbc"]


def test_time_weighs_against_distant_articles():
    params = events.Params()
    near, far = events.time_penalty([1, 30], params)
    assert 0 < near < far < 1
    assert events.time_penalty([params.horizon_days + 1], params)[0] == 1
    assert events.time_penalty([math.nan], params)[0] == 0  # undated: content alone decides


def test_single_article_and_empty_inputs():
    result = events.cluster([OTHER[0]])
    assert result.event_of == [0] and result.headlines == {0: OTHER[0].title}
    assert events.cluster([]).event_of == []
    blank = events.cluster([Article("x"), Article("y", "", "")])
    assert sorted(blank.event_of) == [0, 1]


def test_events_are_numbered_by_first_date_and_labelled_by_a_headline():
    articles = MOSCOW + DAM + KREMLIN + OTHER
    result = events.cluster(articles)
    got = groups(articles, result)
    assert got["kremlin-1"] < got["moscow-1"] < got["dam-ap"] < got["chess"]  # undated last
    assert result.headlines[got["dam-ap"]] in {a.title for a in DAM}
    untitled = events.cluster([Article("u", None, "First sentence here. Second one.")])
    assert untitled.headlines == {0: "First sentence here."}


def test_event_labels_have_no_dateline():
    lead = "NAIROBI, Kenya (AP) _ Rebels attacked the market town of Garissa on Monday. Nine died."
    assert events.cluster([Article("u", None, lead)]).headlines == {
        0: "Rebels attacked the market town of Garissa on Monday."}
    titled = events.cluster([Article("t", "GARISSA, Kenya (Reuters) - Rebels attack a market town", lead)])
    assert titled.headlines == {0: "Rebels attack a market town"}


VOLCANO = [
    Article("volcano-1", "Mount Keluhan erupts, ash closes Tarvo airport",
            "Mount Keluhan erupted on Saturday, throwing an ash column nine kilometres high. Tarvo airport "
            "shut and 3,100 villagers on the volcano's slopes were moved to shelters, governor Ade Santosa said.",
            "2024-06-01", "Reuters"),
    Article("volcano-2", "Ash from Keluhan eruption grounds Tarvo flights",
            "Flights at Tarvo were grounded after Mount Keluhan erupted, governor Ade Santosa said, adding that "
            "3,100 people living on its slopes had been evacuated as the ash column rose nine kilometres.",
            "2024-06-01", "AP"),
]


def test_assign_joins_existing_events_or_makes_new_ones():
    """At the story level since stories came in: the July Moscow attack would now join the May
    Kremlin story (split_story tells those incidents apart), so the new story is another topic."""
    base = events.cluster(DAM[:2] + KREMLIN + OTHER)
    old = len(base.state.sizes)
    dam_event = base.event_of[0]
    added = events.assign([DAM[2], VOLCANO[0], VOLCANO[1]], base.state)
    assert added.event_of[0] == dam_event
    assert added.event_of[1] == added.event_of[2] == old  # a new event, numbered on
    assert set(added.headlines) == {old}
    assert added.state.sizes[dam_event] == 3 and len(added.state.sizes) == old + 1


def test_name_terms_and_dates():
    text = "Hun Sen's Cambodian People's Party won on Friday. Officials in Phnom Penh said so."
    assert events.name_terms(text) == ["@hun sen", "@cambodian people", "@party", "@phnom penh"]
    assert events.day_number("2024-04-09") == events.day_number("2024-04-09T23:59:00Z")
    assert math.isnan(events.day_number(None)) and math.isnan(events.day_number("4/9/24"))


# --------------------------------------------------------------------------
# Database adapter


def make_db(path, articles):
    db = sqlite_utils.Database(path)
    db["articles"].create({"id": str, "title": str, "body": str, "published": str, "outlet": str,
                           "event_id": int}, pk="id")
    insert(db, articles)
    return db


def insert(db, articles):
    db["articles"].insert_all({"id": a.id, "title": a.title, "body": a.body, "published": a.published,
                               "outlet": a.outlet} for a in articles)


def event_of(db):
    return dict(db.execute("select id, event_id from articles").fetchall())


@pytest.fixture
def db(tmp_path):
    return make_db(tmp_path / "news.db", DAM + KREMLIN + OTHER)


def test_update_events_fills_articles_and_events(db):
    stats = store.update_events(db)
    assert stats["mode"] == "full" and stats["articles"] == 8 and stats["events"] == 5
    assigned = event_of(db)
    assert None not in assigned.values()
    dam = db["events"].get(assigned["dam-ap"])
    assert dam["articles"] == 3 and dam["outlets"] == 3
    assert dam["first_published"] == "2024-04-09" and dam["last_published"] == "2024-04-10"
    assert dam["label"] in {a.title for a in DAM}
    chess = db["events"].get(assigned["chess"])
    assert chess["articles"] == 1 and chess["first_published"] is None
    assert set(db["events"].columns_dict) == {"id", "label", "first_published", "last_published",
                                             "articles", "outlets", "story_id", "edited"}
    assert any(ix.columns == ["event_id"] for ix in db["articles"].indexes)
    store.update_events(db, progress=True)  # a full rebuild again replaces everything
    assert db["events"].count == 5 and event_of(db) == assigned


def test_update_events_incremental_keeps_ids(db):
    store.update_events(db)
    before = event_of(db)
    insert(db, MOSCOW)
    stats = store.update_events(db, [a.id for a in MOSCOW])
    assert stats["mode"] == "incremental" and stats["articles"] == 2
    after = event_of(db)
    assert {k: after[k] for k in before} == before
    assert after["moscow-1"] == after["moscow-2"] > max(before.values())
    assert db["events"].get(after["moscow-1"])["articles"] == 2
    late = Article("dam-late", "Kostanj dam: 17 still missing in Velika Rijeka",
                   "Mayor Ivana Horvat said on Wednesday that 17 people remained missing after the Kostanj "
                   "dam failure and that 4,200 evacuated residents could not yet return to Velika Rijeka.",
                   "2024-04-10", "NPR")
    insert(db, [late])
    store.update_events(db, [late.id])
    assert event_of(db)["dam-late"] == before["dam-ap"]
    assert db["events"].get(before["dam-ap"])["articles"] == 4
    assert db["events"].get(before["dam-ap"])["outlets"] == 4


def test_update_events_add_without_state_falls_back_to_full(db):
    store.update_events(db)
    db[store.STATE_TABLE].drop()
    insert(db, MOSCOW)
    assert store.update_events(db, [a.id for a in MOSCOW])["mode"] == "full"
    assert None not in event_of(db).values()


def test_split_story_keeps_fixed_incidents_and_numbers_new_ones_after_them():
    story = DAM + KREMLIN + MOSCOW
    # the Kremlin and Moscow articles as two existing incidents, the dam articles new
    fixed = [-1, -1, -1, 0, 0, 1, 1]
    got = events.split_story(story, fixed=fixed)
    assert got[3:] == [0, 0, 1, 1]
    assert len(set(got[:3])) == 1 and got[0] == 2
    assert events.split_story([]) == []
    # existing incidents never merge, even when the threshold would let anything join
    assert events.split_story(KREMLIN, split=events.SplitParams(threshold=-1.0), fixed=[0, 1]) == [0, 1]


# --------------------------------------------------------------------------
# The candidate search in windows (issue 14 item 2): no task needs the whole corpus, same pairs


def _spread(seed: int, n: int = 320, terms: int = 200):
    """Pruned-like rows over five years, a sixth undated, each of a few of ``terms`` terms: most
    rows have fewer than ``neighbours`` others near in time, so their far pairs rank; a few rows
    are copies of another years away (equal values: ties) and some days hold many rows."""
    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    rows = [(rng.choice(terms, rng.integers(2, 6), replace=False), rng.random(5)) for _ in range(n)]
    for i in range(0, 40, 4):
        rows[i + 1] = rows[i]
    indptr = np.r_[0, np.cumsum([len(t) for t, _ in rows])]
    m = sp.csr_matrix((np.concatenate([w[: len(t)] for t, w in rows]).astype(np.float32),
                       np.concatenate([t for t, _ in rows]), indptr), shape=(n, terms))
    m = events._normalize(m)
    days = 738000 + rng.integers(0, 5 * 365, n).astype(float)
    days[rng.random(n) < 0.15] = np.nan
    days[100:130] = 738500  # one busy day, cut across windows
    days[1:40:4] = days[0:40:4] + 800  # the copies, past the horizon
    return m, days


def _pairs(qi, ri) -> set[tuple[int, int]]:
    return set(zip(qi.tolist(), ri.tolist(), strict=True))


@pytest.mark.parametrize("seed", [1, 2])
def test_windowed_candidates_are_the_one_block_candidates(seed, monkeypatch):
    import numpy as np

    m, days = _spread(seed)
    params = events.Params()
    one = events._candidates(m, days, days, m, days, days, params, same=True)
    far = np.abs(days[one[0]] - days[one[1]]) > params.horizon_days
    assert far.sum() > 50 and np.isnan(days[one[0]]).any()  # the case has far and undated pairs
    monkeypatch.setattr(events, "WINDOW_ROWS", 23)
    windowed = events._search(m, days, m, days, days, params, True)
    assert _pairs(*windowed) == _pairs(*one)
    # against groups spanning days (assign's existing events), some undated
    ends = days[:150] + np.where(np.arange(150) % 3 == 0, 40.0, 0.0)
    one = events._candidates(m[150:], days[150:], days[150:], m[:150], days[:150], ends, params, same=False)
    windowed = events._search(m[150:], days[150:], m[:150], days[:150], ends, params, False)
    assert _pairs(*windowed) == _pairs(*one) and len(one[0])


def test_a_window_task_holds_its_window_and_horizon_only(monkeypatch):
    """The "no worker needs the whole corpus" property: a window's task gets reference rows within
    ``horizon_days`` of its query rows; undated and far blocks hold at most WINDOW_ROWS rows."""
    import numpy as np

    m, days = _spread(3)
    params = events.Params()
    monkeypatch.setattr(events, "WINDOW_ROWS", 23)
    tasks: list[tuple] = []

    def recording(fn, items):
        items = list(items)
        tasks.extend(items)
        return map(fn, items)

    events._search(m, days, m, days, days, params, True, map_=recording)
    kinds = set()
    for q, q_lo, _, q_ids, r, r_lo, r_hi, r_ids, _, _, reach in tasks:
        assert len(q_ids) <= 23 and len(q_ids) + len(r_ids) < len(days) / 3
        for packed, ids in ((q, q_ids), (r, r_ids)):  # a task's rows are the corpus's, as plain arrays
            assert (events._unpack(packed) != m[ids]).nnz == 0
        if reach is None and np.isfinite(q_lo).all() and np.isfinite(r_lo).all():
            kinds.add("window")
            assert (r_lo >= q_lo.min() - params.horizon_days).all()
            assert (r_hi <= q_lo.max() + params.horizon_days).all()
        else:
            kinds.add("far" if reach is not None else "undated")
            assert len(r_ids) <= 23
    assert kinds == {"window", "far", "undated"}


def test_clustering_in_windows_groups_as_in_one_block(monkeypatch):
    articles = [Article(f"{a.id}-{year}", a.title, a.body, a.published and f"{2000 + year}{a.published[4:]}")
                for year in range(0, 12, 3) for a in DAM + KREMLIN + MOSCOW + OTHER + FIRE]
    whole = events.cluster(articles)
    monkeypatch.setattr(events, "WINDOW_ROWS", 4)
    assert events.cluster(articles).event_of == whole.event_of
    assert len(set(whole.event_of)) < len(articles)
