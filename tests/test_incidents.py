"""Cutting one story into incidents (events.split_story) on constructed stories."""

from dataclasses import replace

from datasette_newsdigest import events
from datasette_newsdigest.events import Article
from datasette_newsdigest.text import content_terms

# One story, a week of wildfires, three incidents at three places: every article shares the story's
# words (wildfire, firefighters, evacuated, wind, homes), each incident has its own place and people.
KESSARIA = [
    Article("kessaria-1", "Wildfire forces evacuation of Portovaro on Kessaria",
            "A wildfire swept towards Portovaro on the island of Kessaria on Monday, and ferries evacuated "
            "1,300 tourists from the harbour. Mayor Elena Draga said firefighters were struggling against "
            "strong winds and that the Agios Lukas monastery had been emptied. Several homes burned.",
            "2025-07-14", "Reuters"),
    Article("kessaria-2", "Ferries carry tourists away from Kessaria blaze",
            "Coast guard ferries took 1,300 holidaymakers out of Portovaro harbour as flames reached the hills "
            "around the Agios Lukas monastery, Kessaria's mayor Elena Draga said. Firefighters were "
            "evacuated from one ridge when the wind turned.",
            "2025-07-14", "AP"),
    Article("kessaria-3", "Kessaria fire: monastery saved, Portovaro homes lost",
            "Monks returned to the Agios Lukas monastery on Tuesday after firefighters held the wildfire at "
            "its walls. Elena Draga, the mayor of Portovaro, said twelve homes were lost and the 1,300 "
            "tourists evacuated by ferry would not return this week.",
            "2025-07-15", "BBC"),
]
TAMBER = [
    Article("tamber-1", "Forty homes destroyed as fire races through Tamber Valley",
            "A wildfire destroyed forty homes along Ridge Road outside Millbrook in the Tamber Valley on "
            "Wednesday. Fire chief Dan Ruske said gusting wind pushed the flames across Highway 12, which "
            "was closed, and that residents were evacuated overnight.",
            "2025-07-16", "CNN"),
    Article("tamber-2", "Millbrook residents return to ashes on Ridge Road",
            "Residents of Millbrook found forty homes on Ridge Road burned to the ground after the Tamber "
            "Valley wildfire. Chief Dan Ruske said firefighters reopened Highway 12 on Thursday once the wind "
            "dropped.",
            "2025-07-17", "NPR"),
]
SORVIK = [
    Article("sorvik-1", "Army helicopters fight Sorvik forest fire",
            "Army helicopters dropped water from Lake Harnell on a wildfire in the Sorvik forest on Friday, "
            "and 600 campers were evacuated from the lakeside campsite. Rescue chief Anna Lindqvist said the "
            "wind had spread the fire towards holiday homes.",
            "2025-07-18", "Reuters"),
    Article("sorvik-2", "Campers flee as wildfire spreads near Lake Harnell",
            "Six hundred campers left the Lake Harnell campsite as the Sorvik forest fire grew, Anna Lindqvist "
            "of the rescue service said. Firefighters and army helicopters worked through the night while "
            "the wind eased.",
            "2025-07-18", "AFP"),
]

# One incident, four outlets, four ways of telling it.
OSTERBY = [
    Article("osterby-ap", "Explosion at Osterby chemical plant kills three",
            "Three workers were killed and 11 injured when a nitrate tank exploded at the Brenner Chemicals "
            "plant in Osterby on Tuesday morning. Plant manager Karl Weiss said the cause was not yet known. "
            "Police cleared homes within two kilometres of the site.",
            "2025-03-04", "AP"),
    Article("osterby-reuters", "Brenner Chemicals blast: three dead, 11 hurt",
            "A blast tore through a storage building at Brenner Chemicals in Osterby, killing three employees "
            "and injuring eleven, the company said. Karl Weiss, who runs the plant, told reporters a tank of "
            "ammonium nitrate had gone up shortly after the morning shift began.",
            "2025-03-04T11:20:00", "Reuters"),
    Article("osterby-local", "Osterby shaken by factory explosion",
            "Windows shook across Osterby when the Brenner plant exploded on Tuesday. Residents living within "
            "2 km were told to leave while firefighters kept the nitrate fire from spreading. Three of the "
            "plant's workers died; 11 are in hospital, according to manager Karl Weiss.",
            "2025-03-04", "Osterby Tidende"),
    Article("osterby-bbc", "What we know about the Brenner Chemicals explosion",
            "Investigators are examining the nitrate storage tank that exploded at Brenner Chemicals' Osterby "
            "site, killing three people. Eleven others were injured. The plant's manager, Karl Weiss, said "
            "safety checks had been carried out in January. An evacuation zone of two kilometres was lifted "
            "in the evening.",
            "2025-03-05", "BBC"),
]


def _partition(ids, incidents):
    groups: dict[int, set[str]] = {}
    for article_id, incident in zip(ids, incidents, strict=True):
        groups.setdefault(incident, set()).add(article_id)
    return sorted(map(sorted, groups.values()))


def test_a_story_with_three_incidents_at_different_places_splits_into_three():
    story = SORVIK[:1] + KESSARIA + TAMBER + SORVIK[1:]  # input order is not the incidents' order
    got = events.split_story(story)
    assert _partition([a.id for a in story], got) == sorted(
        [sorted(a.id for a in KESSARIA), sorted(a.id for a in TAMBER), sorted(a.id for a in SORVIK)])
    # numbered by first date: Kessaria (14 July), Tamber (16 July), Sorvik (18 July)
    assert got == [2, 0, 0, 0, 1, 1, 2]


def test_the_same_incident_from_four_outlets_stays_one():
    assert events.split_story(OSTERBY) == [0, 0, 0, 0]


def test_two_reports_of_one_incident_stay_one():
    # in a two-article story every shared term is in all of it: rarity judged against the story alone
    # would weigh each of them 0 and split the pair
    assert events.split_story(OSTERBY[:2]) == [0, 0]
    assert events.split_story(OSTERBY[:1]) == [0]


def test_fixed_incidents_keep_their_members_under_add():
    story = KESSARIA + TAMBER + SORVIK
    # Kessaria's first two articles and Tamber's first are existing incidents 0 and 1; the rest is new
    fixed = [0, 0, -1, 1, -1, -1, -1]
    got = events.split_story(story, fixed=fixed)
    assert got[:2] == [0, 0] and got[3] == 1
    assert got[2] == 0  # a new Kessaria report joins its incident
    assert got[4] == 1  # and a new Tamber one its own
    assert got[5] == got[6] == 2  # Sorvik is new, numbered after the fixed ones


def test_fixed_incidents_never_merge_even_when_they_are_not_separated():
    split = events.SplitParams(threshold=-1.0, separation=0.0)
    assert events.split_story(OSTERBY[:2], split=split, fixed=[0, 1]) == [0, 1]
    # a new article may join either, and the incident it joins keeps its number
    got = events.split_story(OSTERBY[:3], split=split, fixed=[1, 0, -1])
    assert got[:2] == [1, 0] and got[2] in (0, 1)


def test_phrases_keep_a_place_with_its_event_word():
    assert events.phrases(content_terms("The attack on the Kremlin failed.")) == ["~attack kremlin",
                                                                                 "~kremlin fail"]
    assert "~drone oper" in events.phrases(content_terms("training for drone operators"))
    # an article's split terms: its features, plus the phrases of its title and of its body's words,
    # none made of the names and numbers that features() appends
    article = Article("a", "Attack on the Kremlin", "Officials said Ivan Petrov trained drone operators in 2023.")
    terms = events._story_terms(article, events.Params())
    assert terms[: len(events.features(article.title, article.body))] == events.features(article.title,
                                                                                        article.body)
    assert {"~attack kremlin", "~drone oper", "~ivan petrov"} <= set(terms)
    assert not any(t.startswith("~") and ("@" in t or "#" in t) for t in terms)
    # an untitled article is read by its first sentence as if it were its title
    untitled = events._story_terms(Article("b", None, "Drones hit Moscow. Officials said little."), events.Params())
    assert untitled.count("moscow") == 1 + events.Params().title_repeat


def test_fixed_incident_numbers_need_not_start_at_zero():
    # a story's existing incidents may be any numbers; a new article joins the one it reports and
    # never an incident number that holds no article
    story = KESSARIA + TAMBER + SORVIK
    got = events.split_story(story, fixed=[5, 5, -1, -1, -1, -1, -1])
    assert got[:3] == [5, 5, 5] and got[3] == got[4] and got[5] == got[6]
    assert sorted({got[3], got[5]}) == [6, 7]
    assert events.split_story(KESSARIA[:2], fixed=[-1, 3]) == [3, 3]


def test_reports_months_apart_are_two_incidents_even_when_their_words_agree():
    """The same words three months apart are a second incident (a new attack on the same city),
    and neither the agglomeration nor the re-joining of close parts may put them together; without
    dates, words alone decide."""
    from dataclasses import replace

    from datasette_newsdigest.events import Article, split_story

    body = ("Drones struck the Lakeside district of Orvan before dawn, the mayor said, damaging two "
            "apartment blocks. Air defences downed three more over the river port, officials added.")
    may = [Article(f"may-{i}", "Drones strike Lakeside district of Orvan", body, f"2023-05-0{i + 1}", o)
           for i, o in enumerate(["Wire", "Daily", "Post"])]
    august = [Article(f"aug-{i}", "Drones strike Lakeside district of Orvan", body, f"2023-08-0{i + 1}", o)
              for i, o in enumerate(["Wire", "Daily", "Post"])]
    got = split_story(may + august)
    assert got[:3] == [got[0]] * 3 and got[3:] == [got[3]] * 3 and got[0] != got[3]
    undated = [replace(a, published=None) for a in may + august]
    assert len(set(split_story(undated))) == 1


def _drone_report(i: int, target: str, titled: bool = True) -> Article:
    """An undated report of a drone attack on ``target``; every report shares the story's words."""
    return Article(f"r{i}", f"Drone attack on {target} foiled, officials say" if titled else None,
                   f"Air defences downed a drone attack on {target} before dawn on Tuesday, officials in the "
                   "capital said. The ministry blamed foreign advisers for the drone operators' training and "
                   "said the strike would be answered. Officials in Tarnova said the drones were launched from "
                   f"the border region and that {target} was not damaged. Investigators are examining the debris.",
                   None, f"Outlet {i}")


def test_frames_are_the_targets_event_words_attach_to():
    assert events.frames("Air defences foiled a drone attack on the Halvard Citadel's Senate Palace") == ["^halvard"]
    assert events.frames("Halvard drone attack: what we know") == ["^halvard"]
    assert events.frames("Officials distance themselves from Brisk's incursion") == ["^brisk"]
    # who attacked is not where: a nationality, a stop word, a verb between
    assert events.frames("Tarnovian attack on Halvard") == ["^halvard"]
    assert events.frames("A fire") == [] and events.frames("Kan names quake") == []
    # a title in title case capitalizes anything: an article's frame is a name its body uses as one
    article = Article("a", "Church Damaged In Suspicious Fire", "Suspicious. A fire damaged the church in Wasilla.")
    assert {t for t in events._frames_of(article, events.Params()) if t[:1] == "^"} == set()


def test_incidents_that_differ_only_by_their_target_split_apart():
    # undated, word for word the same but for the place the attack was on: without frames the
    # story's vocabulary holds them together (SplitParams(frames=False) gives one incident)
    story = [_drone_report(i, "the Halvard Citadel", titled=i != 1) for i in range(3)] + [
        _drone_report(i, "the Brisk refinery", titled=i != 4) for i in range(3, 6)]
    assert _partition([a.id for a in story], events.split_story(story)) == [["r0", "r1", "r2"],
                                                                             ["r3", "r4", "r5"]]


def test_one_incident_whose_reports_name_its_target_differently_stays_one():
    story = [_drone_report(0, "the Halvard Citadel"), _drone_report(1, "the Halvard Citadel's Senate Palace"),
             _drone_report(2, "the Halvard Citadel", titled=False)]
    assert events.split_story(story) == [0, 0, 0]
    # a store's fire is the town's: one report's target named in the other's first sentence
    store = Article("s", "Brenner fire destroys supermarket",
                    "Fire destroyed the Brenner supermarket in Osterby overnight, firefighters said.", None, "A")
    town = Article("t", "Osterby fire: supermarket lost",
                   "The Osterby fire gutted a supermarket on the high street overnight; firefighters from "
                   "Brenner and Osterby fought it for hours.", None, "B")
    assert events.split_story([store, town]) == [0, 0]


def test_frames_do_not_part_dated_reports():
    # dated reports are told apart by dates; their event words often recall an earlier incident
    story = [replace(a, published="2025-03-04") for a in [_drone_report(0, "the Halvard Citadel"),
                                                           _drone_report(1, "the Brisk refinery")]]
    assert events.split_story(story) == [0, 0]


def _halvard(i: int) -> Article:
    return Article(f"h{i}", "Drone attack on the Halvard Citadel foiled" if i else None,
                   "Air defences stopped a drone attack on the Halvard Citadel before dawn, officials said. "
                   "President Orlov was not in the building, his aide Mira Pelle said, and Varnholm blamed "
                   "Tarnova and its allies. Orlov called the attack terrorism and promised a response.", None, f"H{i}")


def _brisk(i: int) -> Article:
    return Article(f"b{i}", "Drone attack on the Brisk refinery" if i else None,
                   "Drones set fire to a tank in a drone attack on the Brisk refinery overnight. The foreign "
                   "ministry said western instructors ran training for drone operators and supplied satellite "
                   "intelligence for the raid. Firefighters put out the blaze by morning, and officials blamed "
                   "Tarnova and its allies.", None, f"B{i}")


def test_an_article_without_a_frame_follows_the_incident_it_shares_phrases_with():
    # an untitled statement that frames nothing: by all its words (the story's names: Orlov, Pelle,
    # Varnholm, the Citadel it recalls) it is nearer the Halvard reports, by the phrases it shares
    # ("foreign ministry", "drone operators", "satellite intelligence") it answers the Brisk attack
    statement = Article("s", None,
                        "The foreign ministry said on Friday that western instructors ran training for drone "
                        "operators and supplied satellite intelligence. President Orlov, Mira Pelle and Varnholm "
                        "recalled the Halvard Citadel, and Orlov told Varnholm that Pelle spoke for him. Orlov, "
                        "Pelle and Varnholm said Tarnova was to blame, and Orlov called it terrorism and promised "
                        "a response; his aide Mira Pelle said he was not in the building.", None, "S")
    story = [_halvard(0), _halvard(1), _brisk(0), _brisk(1), statement]
    x = events.story_vectors(story)
    cosines = (x @ x.T).toarray()
    assert cosines[4, :2].mean() > cosines[4, 2:4].mean()
    assert _partition([a.id for a in story], events.split_story(story)) == [["b0", "b1", "s"], ["h0", "h1"]]
