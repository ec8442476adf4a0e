"""Page furniture out of stories and digests, genre, and digest lines that stand alone (issue 15)."""

import json
import sqlite3

import pytest
import sqlite_utils
from datasette.app import Datasette

from datasette_newsdigest import digest, ingest, store, text

STORY = [
    "The Senate confirmed the nominee on Saturday after a bitter fight that divided the chamber.",
    "Republicans said the vote restored order, while Democrats vowed to make it an election issue.",
]


def body_of(*lines: str, title: str | None = None) -> str:
    record = ingest.make_record({"id": "a", "title": title, "body": "\n\n".join(lines)}, source="t.jsonl", raw="{}")
    return record["body"]


@pytest.mark.parametrize("furniture", [
    "Carlos Barria / Reuters Pastor Tony Spell attends Sunday service at the Life Tabernacle Church.",
    "Reuters/ Getty Images,",
    "Supreme Court nominee Judge Brett Kavanaugh testifies before the Senate Judiciary Committee, September 27, 2018.",
    "Attorney General William Barr testifies before a Senate Judiciary Committee hearing, May 1, 2019.",
    "Senators listen during the hearing in Washington, U.S., May 1, 2019. REUTERS/Jim Bourg",
    "President Trump speaks to reporters at the White House (AP Photo/Evan Vucci)",
    "Story highlights President Obama and House Speaker Boehner meet at the White House",
    "Read more from Yahoo News:",
    "Related: World leaders say they must tackle income inequality",
    "Related Coronavirus could lead to the highest unemployment since the Great Depression",
    "Young black men again faced highest rate of US police killings in 2016 Read more",
    "Report:Read special counsel Robert Mueller's report on Russian interference",
    "The Wall - An in-depth examination of Donald Trump's border wall",
    "TRUMP SIGNS BILL TO END PARTIAL GOVERNMENT SHUTDOWN",
    "CLICK HERE TO GET THE FOX NEWS APP",
    "SUPPLY CHAINS BROKEN",
    "The cover of the magazine's Person of the Year issue is pictured in this December 11, 2013 handout photo.",
    "( Also on POLITICO: Karl Rove vs. the tea party)",
    "A Fine Line: Distinguishing Issue Ads From Advocacy",
])
def test_each_furniture_shape_leaves_a_json_body(furniture):
    body = body_of(STORY[0], furniture, STORY[1])
    assert body.split("\n\n") == STORY


def test_the_title_repeated_as_the_first_line_leaves_the_body():
    title = "Poll: Prestigious Colleges Won't Make You Happier In Life Or Work"
    assert body_of(title, *STORY, title=title).split("\n\n") == STORY


@pytest.mark.parametrize("news", [
    "The Judiciary Committee voted 11-10 on September 27, 2018, to advance the nomination to the floor.",
    "The hearing, which began on May 1, 2019, ran for more than five hours, officials said.",
    'Asked whether the deal would pass, he said: "Why would anyone vote against it now?" and left.',
    "The FBI, CIA and NSA briefed NATO officials on the ISIS threat, the DOJ said in a statement.",
    "The Biden/Harris campaign said it raised $26 million in the first 24 hours after the pick.",
    "Related charges were filed against two other men in federal court in Brooklyn on Monday.",
    "WASHINGTON (Reuters) - A civil rights group asked a federal judge on Monday to block the rule.",
])
def test_news_sentences_of_similar_shape_are_kept(news):
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]


def test_a_sentence_broken_across_paragraphs_is_not_a_heading():
    assert body_of("Fourth", "row.") == "Fourth\n\nrow."


def test_a_body_of_furniture_only_keeps_what_the_page_rules_keep():
    assert body_of("Breaking news") == "Breaking news"


# --- Genre --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "genre"), [
    ({"title": "OPINION: Fight for Kavanaugh"}, "opinion"),
    ({"title": "Op-Ed | The case for a carbon tax"}, "opinion"),
    ({"title": "Analysis: GOP health plan would leave millions uninsured"}, "analysis"),
    ({"body": "ANALYSIS/OPINION:\n\nThe senator's speech was a mistake, and here is why it matters."}, "opinion"),
    ({"url": "https://www.nytimes.com/2018/10/01/opinion/kavanaugh-vote.html"}, "opinion"),
    ({"url": "https://edition.cnn.com/2019/05/01/politics/analysis/barr-hearing/index.html"}, "analysis"),
    ({"url": "https://example.com/commentary/why-it-matters"}, "opinion"),
    ({"section": "Opinion"}, "opinion"),
    ({"Category": "News Analysis"}, "analysis"),
    ({"genre": "news"}, "news"),
    ({"outlet": "New York Times - Opinion"}, "opinion"),
    ({"title": "Opinion polls show the race tightening in Ohio"}, "news"),
    ({"title": "Analysis of the data shows a rise in wages", "url": "https://example.com/opinionated/x"}, "news"),
    ({"outlet": "Commentary Magazine"}, "news"),
    ({}, "news"),
])
def test_genre_from_label_url_and_input_field(fields, genre):
    record = ingest.make_record({"body": "The Senate voted on Saturday to confirm the nominee.", **fields},
                                source="t.jsonl", raw="{}")
    assert record["genre"] == genre
    assert "genre" not in record.extras  # an input genre field is read, and kept as input_genre


def test_genre_of_a_page_from_its_url_or_label(tmp_path):
    page = ingest.clean_page("Opinion: The vote was a mistake\n\nThe Senate voted on Saturday to confirm "
                             "the nominee after a bitter fight.")
    assert ingest.page_record(page, source="p.txt", raw="")["genre"] == "opinion"


def test_an_older_database_gains_the_genre_column_on_add(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.db")
    columns = {k: v for k, v in store.ARTICLE_COLUMNS.items() if k != "genre"}
    db.table("articles").create(columns, pk="id")
    store.create_tables(db)
    assert "genre" in db.table("articles").columns_dict


# --- The digest's candidates ----------------------------------------------------------------------

GOOD = [
    "The Senate confirmed Brett Kavanaugh to the Supreme Court on Saturday by a vote of 50 to 48.",
    "The vote capped a bitter confirmation fight over sexual assault allegations against Kavanaugh.",
    "Protesters gathered outside the Capitol as senators voted on the Kavanaugh confirmation.",
]
CAPTION = "Supreme Court nominee Brett Kavanaugh testifies before the Senate Judiciary Committee, September 27, 2018."
DANGLING = [
    "He added that the Senate vote on Kavanaugh would be remembered for a long time to come.",
    "But the Kavanaugh confirmation fight in the Senate divided voters across the country.",
    "Here at the Capitol, senators voted on the Kavanaugh confirmation under heavy security.",
    "They said the Kavanaugh vote in the Senate was the most bitter in memory.",
]
QUESTION = "Will the Kavanaugh confirmation vote in the Senate change the Supreme Court?"


def documents():
    furniture = [CAPTION, "KAVANAUGH CONFIRMED TO THE SUPREME COURT AFTER SENATE VOTE", QUESTION, *DANGLING]
    return [
        digest.Document(i, "\n\n".join(furniture + GOOD if i % 2 else GOOD[::-1] + furniture))
        for i in range(4)
    ]


@pytest.mark.parametrize("method", digest.METHODS)
def test_no_method_picks_furniture_or_a_line_that_does_not_stand_alone(method):
    picks = digest.digest(documents(), sentences=3, method=method)
    assert sorted(p.sentence for p in picks) == sorted(GOOD)


def test_every_pick_of_a_large_budget_stands_alone():
    picks = digest.digest(documents(), sentences=20)
    assert {p.sentence for p in picks} == set(GOOD)


def test_a_text_with_no_standalone_sentence_still_gets_a_digest():
    picks = digest.summarize("He said the Senate would vote on the nomination again next week.", sentences=1)
    assert [p.sentence for p in picks] == ["He said the Senate would vote on the nomination again next week."]


@pytest.mark.parametrize("dateline", ["(Reuters) - ", "Washington (CNN) - ", "SACRAMENTO, Calif. (AP) — ",
                                      "BEIJING/SEOUL (Reuters) - ",
                                      "Miami (CNN) "])
def test_the_wire_dateline_leaves_a_digest_sentence(dateline):
    lead = "Officials in Atlanta said on Monday that the new voting rule in Georgia would take effect soon."
    docs = [digest.Document(i, lead + "\n\n" + dateline + "A civil rights group asked a federal judge on Monday "
                               "to block the new voting rule in Georgia.") for i in range(2)]
    assert any(p.sentence.startswith("A civil rights group asked") for p in digest.digest(docs, sentences=2))


def test_sentences_cut_at_initials_and_list_items_are_no_digest_lines():
    body = ("The senator used the wave of anti-U.S. sentiment in the region to attack the plan. "
            "Officials briefed the U.N. Ambassador to the United Nations on the Benghazi attack. "
            "The Benghazi attack killed four Americans, officials said on Tuesday.\n\n"
            "o Third, the Benghazi review will make the consulates safer, officials said.")
    picks = digest.digest([digest.Document(i, body) for i in range(2)], sentences=5)
    assert [p.sentence for p in picks] == ["The Benghazi attack killed four Americans, officials said on Tuesday."]


def test_opinion_is_read_only_after_news():
    opinion = ("Confirming Kavanaugh to the Supreme Court will haunt the Senate for a generation, "
               "and the Senate knows it.")
    docs = [digest.Document("op1", opinion, "2018-10-06", "opinion"),
            digest.Document("op2", opinion, "2018-10-06", "opinion"),
            digest.Document("n1", GOOD[0] + " " + GOOD[1], "2018-10-07", "news"),
            digest.Document("n2", GOOD[1] + " " + GOOD[2], "2018-10-07", None)]
    for method in ("default", "lexrank", "luhn"):
        picks = digest.digest(docs, sentences=3, method=method)
        assert {p.id for p in picks} <= {"n1", "n2"}, method
        more = digest.digest(docs, sentences=4, method=method)
        assert [p.id for p in more if p.id.startswith("op")] == ["op1"], method  # only when news runs out


def test_the_predicates_keep_news_of_similar_shape():
    assert not text.is_furniture("The FBI and CIA told NATO that ISIS was regrouping, the DOJ said.")
    assert not text.is_furniture("The panel voted on September 27, 2018, to advance the nomination.")
    assert not text.is_question('"Why now?" she asked.')
    assert not text.is_unresolved("This week, the Senate voted to confirm the nominee.")
    assert not text.is_unresolved("Thebes was the capital.") and not text.is_unresolved("Heidi Heitkamp voted no.")
    assert text.is_unresolved("It was the first time since 1881.") and text.is_unresolved("That decision stands.")
    assert text.is_unresolved("Tonight, he's set to accept the nomination.")
    assert not text.is_unresolved("On Tuesday, the Senate voted to confirm the nominee.")


def test_an_author_box_at_the_end_is_no_digest_line():
    body = " ".join(GOOD) + " Chris Stirewalt is digital politics editor for Fox News."
    picks = digest.digest([digest.Document(i, body) for i in range(2)], sentences=5)
    assert sorted(p.sentence for p in picks) == sorted(GOOD)


# --- The event page -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def opinion_db(build_news_db):
    opinion = {"id": "op-1", "title": "OPINION: Russia's drone story does not add up",
               "url": "https://example.com/opinion/drones", "published": "2023-05-04",
               "body": "Russia said on Wednesday that Ukraine attacked the Kremlin with two drones overnight. "
                       "The Kremlin said the drones were shot down and called it an assassination attempt on "
                       "Putin. The story does not add up, and the West should say so."}
    return build_news_db([opinion])


@pytest.mark.asyncio
async def test_the_event_page_shows_opinion_apart(opinion_db):
    with sqlite3.connect(opinion_db) as conn:
        (event_id, genre), = conn.execute("select event_id, genre from articles where id = 'op-1'").fetchall()
    assert genre == "opinion"
    datasette = Datasette([str(opinion_db)])
    response = await datasette.client.get(f"/-/digest/news/{event_id}")
    assert response.status_code == 200
    main, _, opinion = response.text.partition("Opinion on this event")
    assert "Russia&#39;s drone story does not add up" in opinion
    assert "Russia&#39;s drone story does not add up" not in main.split("<h2>Articles</h2>")[1]
    data = (await datasette.client.get(f"/-/digest/news/{event_id}.json")).json()
    assert {a["id"]: a["genre"] for a in data["articles"]}["op-1"] == "opinion"
    assert json.dumps(data)  # the JSON carries genre for every article


# --- Round 3 shapes (bench/README.md "Furniture in digests, round 3", rules 14-25) ------------------

CARD_SENTENCE = ("Senate Republicans want President Trump Donald John TrumpGOP senators balk at lengthy impeachment "
                 "trial Warren goes local in race to build 2020 movement MORE to stop taking jabs at Congress.")


def test_an_inline_link_card_is_cut_out_and_the_sentence_stays():
    assert body_of(STORY[0], CARD_SENTENCE) == (STORY[0] + "\n\nSenate Republicans want President Trump to stop "
                                                "taking jabs at Congress.")
    assert text.strip_link_cards(
        "Sens. Ed Markey Edward (Ed) John MarkeyOvernight Defense: Families sue | Lawmakers speak MORE (D-Mass.) "
        "and John Kennedy John Neely KennedyMORE (R-La.) spoke.") == (
        "Sens. Ed Markey (D-Mass.) and John Kennedy (R-La.) spoke.")
    assert text.strip_link_cards("Two of President Trump Donald John TrumpGOP senators balk MORE’s aides.") == \
        "Two of President Trump’s aides."
    assert text.strip_link_cards("They see the race to succeed Speaker Paul Ryan Paul Davis Ryan Retirees should say "
                                 "'no thanks' to the plan MORE (R-Wis.) as McCarthy’s to lose.") == \
        "They see the race to succeed Speaker Paul Ryan (R-Wis.) as McCarthy’s to lose."


def test_a_quote_chip_is_cut_out_and_the_sentence_stays():
    assert text.strip_link_cards("The Dow Jones Industrial Average DJIA, +0.12% shed 233.92 points, or 0.8%.") == \
        "The Dow Jones Industrial Average shed 233.92 points, or 0.8%."
    plain = "Unemployment fell to 3.5%, the BLS said."
    assert text.strip_link_cards(plain) == plain


def test_the_sentence_after_one_cut_at_a_title_is_no_digest_line():
    body = ("The race was won by the incumbent, who beat then-Gov. David Paterson in the primary on Tuesday. "
            "The senator was appointed by then-Gov. David Paterson to fill the seat vacated by Hillary Clinton. "
            "The incumbent thanked her supporters at a rally in Albany on Tuesday night.")
    body = body.replace("then-Gov. David Paterson to fill", "then-Gov.\n\nDavid Paterson to fill")
    picks = digest.digest([digest.Document(i, body) for i in range(2)], sentences=5)
    assert all("Paterson to fill" not in p.sentence for p in picks)


def test_a_name_said_twice_without_a_card_is_left_alone():
    for sentence in ["Trump met Trump Organization executives on Monday, MORE than once.",
                     "John Smith's son, John Smith Jr., said MORE aid was needed.",
                     "The New York Times and the Times of London said more."]:
        assert text.strip_link_cards(sentence) == sentence


PAGE_LINES = [
    "The new rules, which take effect in August, are available here.",
    "CBS’s Weijia Jiang reports from the White House.",
    "Visit the Centers for Disease Control website for more information about COVID-19.",
    "Wednesday 12:00 BST onwards: Theresa May takes part in her last Prime Minister's Questions.",
    "Watch the FULL INTERVIEW with Rudy Giuliani on The 700 Club Thursday.",
    "| Saul Loeb/AFP/Getty Images 2020 Elections Shutdown has dropped grenade onto Trump’s 2020 team",
    "Update 5 p.m. ET: Pennsylvania Eastern District Judge Wendy Beetlestone has issued a nationwide injunction.",
    "The president mentioned former Vice President Joe Biden Joe BidenHouse Republicans voice concerns about the",
    "Media playback is unsupported on your device Media caption 'It's pure hate' - police don't know the motive.",
    "CLOSE On the heels of Japan's pledge to donate $200 million in aid, a new video depicts a threat.",
    "Image Mark Holden of Koch Industries said that it was willing to collaborate.",
    "Overnight Health Care: Trump officials change drug pricing | House panel advances ban | Senators press FDA",
    "Fox News' Bret Baier, Andrew O'Reilly, and Gregg Re contributed to this report.",
    "ABC News' Anne Flaherty and Molly Nagle contributed reporting.",
    "Staff writer Story Hinckley contributed from Detroit and Fraser, Michigan.",
    "Reporting by Jane Doe; Editing by John Roe",
    "George Bush (@GeorgeHWBush) He wasn't perfect, but Roger Ailes was my friend.",
    "Sign up for our newsletter to get the latest news every morning.",
    "Join us on Facebook.com/CNNOpinion.",
    "You can unsubscribe at any time.",
    "Newsletter Sign Up Continue reading the main story Please verify you're not a robot by clicking the box.",
    "Watch CNN and NY1's Democratic debate, moderated by Wolf Blitzer, Thursday, April 14 at 9 p.m. ET.",
    "By Jane Doe and John Roe | Reuters",
    "Eli Stokols is a national politics reporter.",
    "Jane Doe covers the White House for CNN.",
    "[Updated 10:50 a.m. ET] Another flurry of police activity is happening in Watertown.",
    "Originally published Oct. 17, 10:28 a.m. PT.",
    "Editor’s note: This post has been corrected to show that Kevin McCarthy is the House minority leader.",
    "An earlier version of this story incorrectly described current Ohio abortion law.",
    "As of Tuesday, this article is no longer being updated.",
    "© Copyright 2017 by Creators Syndicate Inc.",
    "How we did this For this report on views of the nation’s economy, we surveyed 12,638 U.S. adults.",
    # round 4, rules 28-31
    "Further reading: How Indiana's religious freedom law sparked a battle over LGBT rights.",
    "For a more detailed look at the ideological composition of each source’s audience, see the Pew Research "
    "Center’s interactive database.",
    "You can follow this link to see numbers for each state, including the ones that voted.",
    "See our prior coverage of the aftermath of George Floyd’s death here.",
    "NPR's Rachel Martin talks to NPR's Mara Liasson about the rare Saturday session.",
    "NPR's Steve Inskeep spoke with Warren about the financial provisions in the spending bill, which passed.",
    "To talk about all of this, we're joined now by NPR's national political correspondent Mara Liasson.",
    "To talk more about President Trump and the media, we are joined by two guests.",
    "ProPublica is a nonprofit newsroom that investigates abuses of power.",
    "VICE is committed to ongoing coverage of the global climate crisis.",
    "Today: The kickoff to the 2020 campaign was undercut by the shutdown.",
]


@pytest.mark.parametrize("furniture", PAGE_LINES)
def test_each_page_line_leaves_a_json_body_and_is_no_digest_line(furniture):
    assert body_of(STORY[0], furniture, STORY[1]).split("\n\n") == STORY
    assert text.is_furniture(furniture)


PICTURES_AND_REMNANTS = [
    "Eldon Hofeling watches contractors load rocks being used to repair the Oroville Dam.",
    "A man watches the landmark Notre-Dame Cathedral burn, engulfed in flames, in central Paris on April 15, 2019.",
    "Joe Biden touches Anderson Cooper at the Human Rights Campaign Foundation town hall on LGBTQ issues.",
    "Additionally, Lt. Gov. Justin Fairfax (right) is facing sexual assault allegations.",
    "Lt. Gov. Justin Fairfax (second from left) is facing sexual assault allegations.",
    "), the incoming chairman of the Senate Armed Services Committee.",
    "12. She and George H.W. Bush were married 73 years.",
    "yo somebody was shooting at the gilroy garlic festival.",
    "x Republicans should stop wasting their time on Immigration until after we elect more Senators.",
    "With the federal government’s funding running out on Friday, Sens.",
    "The border security provisions are the same as those in the bill from Mssrs.",
    "The winner will face Senate Majority Leader Mitch McConnell (R-Ky.",
    "Anthony Scaramucci talks to reporters in July 2017 just before becoming White House communications director.",
    "Attorney General Karl Racine and Texas Attorney General Ken Paxton speak during the launch of an antitrust "
    "investigation, outside of the US Supreme Court in Washington, DC on September 9, 2019.",
    "Any sexual relationship with a subordinate is almost always unethical…",
]


@pytest.mark.parametrize("sentence", PICTURES_AND_REMNANTS)
def test_captions_picture_pointers_and_remnants_are_no_digest_lines(sentence):
    assert not digest._stands_alone(sentence)


LOOK_ALIKES = [
    "Visiting the border on Tuesday, the president said the wall was working.",
    "The senator said she was glad to be here.",
    "Reuters reports from Kabul were confirmed by the Pentagon on Monday, officials said.",
    "The Democrats among the Virginia state legislators won’t listen.",
    "Trade talks resumed in Beijing on Monday, officials said.",
    '"Wait and see..." the senator said after the vote.',
    "At 10:30 a.m., the Senate voted to adjourn until Monday.",
    '"Watch what happens next," Trump told reporters at the White House.',
    "A Reuters/Ipsos poll found that 40 percent of Americans approve of the plan.",
    "Senate Minority Leader Mitch McConnell said McConnell would wait for the House to act first.",
    "Obama speaks Tuesday at the Naval Academy in Annapolis, aides said.",
    "Trump holds a slim lead in Florida, according to the poll.",
    "The president attends church rarely, aides said.",
    "Senate majority leader Harry Reid (D) of Nevada has suggested he may change the rules.",
    "Donors contributed to his campaign in record numbers.",
    "Several factors contributed to the report's delay, officials said.",
    "de Blasio said the city would reopen schools in September.",
    "iPhone sales rose 5 percent in the quarter, Apple said.",
    "By Tuesday, the Senate had voted to confirm the nominee.",
    "Like us, the Chinese want a deal on trade, the official said.",
    "Like Facebook, Twitter banned political advertising last year.",
    "Subscribers to the service rose 5 percent last year.",
    "Under the law, uninsured Americans are required to sign up for health insurance.",
    "The report, published June 5, 2019, found that the agency had failed.",
    "Apple updated its software on Monday to fix the flaw.",
    "NATO Secretary General Jens Stoltenberg said the alliance would respond.",
    "The Senate plan covers health care for millions of Americans.",
    "Jamal Khashoggi was a columnist for The Washington Post.",
    "Credit Suisse said it would pay the fine.",
    "Photo ID laws were struck down by the court in July.",
    "The Times did not add a correction or an editor’s note to the report after it was changed.",
    "Trump praised Stone on Twitter for having the guts to stand up to Mueller.",
    "The Senate voted 51-49 to confirm the nominee, with Sen. Collins voting yes.",
    "The vote was 216-208 and no Democrat voted for it, according to the House clerk.",
    # round 4, rules 28-32
    "The mayor said the city would see the results here.",
    "Readers can see the full list here, the agency said.",
    "Officials spoke with reporters about the fire.",
    "Obama spoke with Merkel about Ukraine on Tuesday.",
    "Today, the Senate voted to confirm the nominee.",
    "Today the Senate voted to confirm the nominee.",
    "The Capital Gazette is a newspaper that lost five staffers in the attack.",
    "The governor is committed to covering the costs of the cleanup.",
    "For years, officials said, the plant was safe.",
    "Investigators could not confirm this link to the cartel.",
    "What we knew then was not enough, the senator said.",
    "The stock market rallies after the Fed decision, traders said.",
    "Trump rallies supporters in Ohio on Tuesday.",
    "Fans gather outside the stadium every week to see the team.",
    "For the last three weeks, protests against the law have drawn thousands of people.",
    "In recent years, protests against authoritarian rule have flared up all over the world.",
    "When protests for black lives erupted across the country, the images were inspiring.",
    "COP stands for Conference of Parties, an annual forum on climate change.",
    "Supporters of gun curbs planned rallies outside the offices of Grassley.",
]


@pytest.mark.parametrize("news", LOOK_ALIKES)
def test_news_of_a_page_line_or_caption_shape_stays(news):
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]
    assert not text.is_furniture(news) and digest._stands_alone(news)


# --- Damage no repair undoes ---------------------------------------------------------------------


def test_a_c1_control_left_after_repair_goes():
    record = ingest.make_record({"id": "a", "title": 'Warren: Yeah, “We Ended Up With a Little Bit of Debt"\x9d ',
                                 "body": STORY[0]}, source="t.jsonl", raw="{}")
    assert record["title"] == 'Warren: Yeah, “We Ended Up With a Little Bit of Debt" '  # the title as given, less \x9d
    assert not text.is_damaged(record["title"])


@pytest.mark.parametrize("damaged", ["“NOBODY REALLY understands gold prices, and I don\ufffd\ufffd\ufffdt pretend to "
                                     "understand them either,” he said on Monday.",
                                     "But these troubles are self-inflicted â€\" and a letter packed with distortions "
                                     "will not fix them, the senator said."])
def test_damage_no_repair_undoes_is_noted_and_kept_out_of_digests(damaged):
    record = ingest.make_record({"id": "a", "title": "Gold", "body": "\n\n".join([STORY[0], damaged, STORY[1]])},
                                source="t.jsonl", raw="{}")
    assert damaged in record["body"]  # kept as given: the raw input is the evidence
    assert any("no repair undoes" in note for note in record.notes)
    picks = digest.digest([digest.Document(i, record["body"]) for i in range(2)], sentences=5)
    assert {p.sentence for p in picks} == set(STORY)


def test_correct_text_with_accents_and_typography_is_not_damage():
    for fine in ["Peña Nieto said the café would reopen — “soon,” he added…", "Zelenskyy’s 2½-hour speech"]:
        assert not text.is_damaged(fine)
        assert not any("no repair" in n for n in ingest.make_record({"id": "a", "title": fine, "body": fine},
                                                                    source="t.jsonl", raw="{}").notes)


# --- Round 4 shapes (bench/README.md "Furniture, round 4", rules 26-32) ----------------------------


@pytest.mark.parametrize("sentence, rest", [
    ("WASHINGTON—President Barack Obama is encountering resistance from his own party.",
     "President Barack Obama is encountering resistance from his own party."),
    ("WEST DES MOINES, Iowa—President Trump and former Vice President Joe Biden held rallies.",
     "President Trump and former Vice President Joe Biden held rallies."),
    ("NEW YORK–The Democratic presidential field is largely set.", "The Democratic presidential field is largely set."),
    ("ST. LOUIS--Stocks fell sharply on Monday morning.", "Stocks fell sharply on Monday morning."),
])
def test_a_dateline_whose_dash_touches_the_sentence_goes(sentence, rest):
    assert text.strip_dateline(sentence) == rest


@pytest.mark.parametrize("news", [
    "Obama—who was in Iowa on Monday—said he would win the state.",
    "ANTI-Trump groups rallied in the capital on Sunday.",
    "Washington—a city of monuments—was quiet on Sunday.",
    "U.S.—China talks resumed on Monday in Beijing.",
])
def test_a_dash_after_no_dateline_or_a_hyphenated_word_stays(news):
    assert text.strip_dateline(news) == news


@pytest.mark.parametrize("first, title, kept", [
    ("Brennan: Russia may have successfully recruited Trump campaign aides The former CIA director also says he "
     "was worried.", "Brennan: Russia may have successfully recruited Trump campaign aides",
     ["The former CIA director also says he was worried."]),
    ("Getty 2016 Jeb Bush loses TV ad edge to Marco Rubio Rubio’s campaign is getting twice the ads on the air.",
     "Jeb Bush loses TV ad edge to Marco Rubio", ["Rubio’s campaign is getting twice the ads on the air."]),
    ("Jeb Bush loses TV ad edge to Marco Rubio A deck that is no sentence", "Jeb Bush loses TV ad edge to Marco Rubio",
     []),
    # the title runs into a sentence of the story: kept whole
    ("President Trump signs bill to fund the government through February, the White House said.",
     "Trump signs bill", ["President Trump signs bill to fund the government through February, the White House said."]),
    ("Trump signs executive order Monday on drug prices, the White House said.", "Trump signs executive order",
     ["Trump signs executive order Monday on drug prices, the White House said."]),
])
def test_a_first_line_that_starts_with_the_title_loses_it(first, title, kept):
    assert body_of(first, *STORY, title=title).split("\n\n") == kept + STORY


def test_a_page_body_that_starts_with_the_title_loses_it():
    title = "Brennan: Russia may have successfully recruited Trump campaign aides"
    page = "\n\n".join([title, title + " The former CIA director also says he was worried about contacts.", *STORY])
    assert ingest.clean_page(page)["body"].split("\n\n") == [
        "The former CIA director also says he was worried about contacts.", *STORY]


def test_a_caption_whose_verb_is_a_protest_is_no_digest_line():
    assert not digest._stands_alone("Rigoberto Ramos from Seaford, Del., originally from Guatemala, rallies for "
                                    "immigration reform in front of the U.S. Capitol in Washington.")


def test_a_host_line_quoted_in_a_speech_stays():
    news = '“We are joined by our allies in this fight,” the minister said.'
    assert not text.is_furniture(news)
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]


# --- Round 5 (bench/README.md "Furniture, round 5", rules 33-37) ---------------------------------

CREDITED_PARAGRAPHS = [
    # rule 33: a caption paragraph of several sentences, over MAX_CAPTION_WORDS, ending at its credit
    "This is the mayor of a small river town and her deputy at the town hall. The mayor was injured when the roof "
    "of the old market building collapsed during the storm on the night of the flood. Her deputy helped carry "
    "several people out of the building before the fire crews arrived, a neighbor said in a post shared widely "
    "online. (Photo: Courtesy of Jane Roe)",
    "A worker sorts ballots at a county election office in a file photo. The county counted its ballots twice "
    "after a complaint from the losing candidate. Jane Roe/Reuters",
    "A farmer stands in his field after the hail storm. He lost most of his crop and will not qualify for the "
    "relief program. John Doe/Globe Staff",
    "A retired officer who served 30 years on the force was found dead outside a store early Tuesday, police said. "
    "Jane Roe/River Valley Journal/Daily Courier via AP",
]


@pytest.mark.parametrize("caption", CREDITED_PARAGRAPHS)
def test_a_paragraph_that_ends_at_its_credit_goes_whole(caption):
    assert body_of(STORY[0], caption, STORY[1]).split("\n\n") == [STORY[0], STORY[1]]


def test_a_credit_shape_inside_a_sentence_or_a_lone_paragraph_stays():
    for news in ["A Reuters/Ipsos poll found that 40 percent of Americans approve of the Biden/Harris plan.",
                 "The Biden/Harris campaign said on Tuesday that it had raised more money. Jane Roe said so."]:
        assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]
    alone = " ".join([STORY[0], STORY[1]] * 4) + " (Photo: Jane Roe/Reuters)"
    assert body_of(alone) == alone


def test_the_lead_picture_before_the_headline_goes():
    title = "Senate budget: 5 things to watch this week"
    first = "The vote on Tuesday will be the last before the recess. 5 things to watch in the budget fight"
    assert body_of(first, *STORY, title=title).split("\n\n") == STORY
    same = "The vote on Tuesday will be the last before the recess. Senate budget: 5 things to watch this week"
    assert body_of(same, *STORY, title=title).split("\n\n") == STORY
    # a heading that shares nothing with the title, or a second sentence, is story
    other = "The vote on Tuesday will be the last before the recess. Leaders met again on Monday"
    assert body_of(other, *STORY, title=title).split("\n\n")[0] == other
    sentence = "The vote on Tuesday will be the last before the recess. Five things to watch emerged."
    assert body_of(sentence, *STORY, title=title).split("\n\n")[0] == sentence


def test_a_caption_before_a_credit_and_the_title_leaves_the_deck():
    title = "Agency freezes out top aide"
    first = ("On Friday, one of the adviser's closest deputies was denied clearance. | Getty Agency freezes out top "
             "aide The agency denied a security clearance for a key aide to the adviser.")
    assert body_of(first, *STORY, title=title).split("\n\n") == [
        "The agency denied a security clearance for a key aide to the adviser.", *STORY]


@pytest.mark.parametrize("furniture", [
    "For the latest track and forecast of the storm, visit the National Hurricane Center.",
    "You will receive occasional promotional offers for programs that support our journalism.",
])
def test_round_5_pointers_and_boxes_are_page_lines(furniture):
    assert body_of(STORY[0], furniture, STORY[1]).split("\n\n") == STORY
    assert text.is_furniture(furniture)


def test_a_link_card_inside_a_name_written_in_full_keeps_the_name():
    assert text.strip_link_cards("Justice Ruth Bader Ginsburg Ruth Bader GinsburgGinsburg misses arguments MORE "
                                 "sided with the majority.") == "Justice Ruth Bader Ginsburg sided with the majority."
    assert text.strip_link_cards("Rep. Mary Jane Doe Mary Jane DoeHouse votes to MORE (D-N.Y.) voted no.") == \
        "Rep. Mary Jane Doe (D-N.Y.) voted no."


@pytest.mark.parametrize("news", [
    "In Charlottesville, Virginia, the deadly 2017 rally was prompted by the city's plan to remove statues.",
    "The midterms swept a wave of Tea Party Republicans into Congress.",
    "Many speak strategically important languages.",
    "Holder also asserted that an American who poses an \"imminent threat\" could be killed.",
    "The coronavirus pandemic poses an obvious threat to physical safety.",
    "When Pence speaks, it is in the most servile tones.",
    "“If I don’t do this, I might as well just walk away.”",
    "The results, they say, speak for themselves.",
    "Though protests for racial justice are slowing, changes are rippling through society.",
    "The governor did not attend the rally and has yet to make an endorsement.",
])
def test_rule_17_keeps_news_whose_words_are_picture_verbs(news):
    assert not text.is_picture_text(news)


@pytest.mark.parametrize("caption", [
    "Bush waves to the audience.",
    "People wearing masks walk through the shopping district in Seoul.",
    "Secretary of State John Kerry pose for a group picture at the United Nations building in Vienna.",
    "Supporters rally outside the courthouse in the rain.",
])
def test_rule_17_still_takes_captions(caption):
    assert text.is_picture_text(caption)


def test_a_long_paragraph_ending_in_an_aside_with_a_slash_stays():
    news = ("The campaign's last push is meant to rally the base, and it may work with voters who already back him. "
            "But there is no evidence yet that the strategy will help him in the polls, where he has trailed for "
            "months in every state that is likely to decide the election, his own advisers conceded this week. "
            "(A new NBC/WSJ poll showed him trailing by 11 points.)")
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]


def test_a_speakers_label_with_an_accented_capital_is_a_transcript_line():
    assert text.is_transcript("JUAN GONZÁLEZ: Hurricane Matthew is now bearing down on the Florida coast.")
    assert not text.is_transcript("GONZÁLEZ said the hurricane was bearing down on the Florida coast.")


def test_a_page_loses_its_lead_picture_and_its_caption_paragraphs():
    title = "Senate budget: 5 things to watch this week"
    lead = "The vote on Tuesday will be the last before the recess. 5 things to watch in the budget fight"
    page = "\n\n".join([title, lead, STORY[0], CREDITED_PARAGRAPHS[1], STORY[1]])
    assert ingest.clean_page(page)["body"].split("\n\n") == STORY


# --- Round 6 (bench/README.md "Furniture, round 6", rules 38-) ----------------------------------------

SECTIONS = [  # rule 38: the label goes, the paragraph is the story (it was rule 31's "What we know" box, dropped)
    ("Why it matters", "The fight will test the power of the presidency, Congress and the Supreme Court."),
    ("The big picture", "Trump had a fraught relationship with previous DNI Coats and blocked his deputy."),
    ("Driving the news", "Trump accused the WHO of mismanaging and covering up the coronavirus crisis."),
    ("The bottom line", "The president's party lost its majority in the House of Representatives."),
    ("By the numbers", "There have been over 390,000 global recoveries from the virus so far."),
    ("What's next", "Congress will focus on how quickly the money can get out the door."),
    ("What we know", "Shortly after the shooting at the memorial, a gunman entered the building."),
    ("What we don't know", "Why he changed his name remains unclear to investigators, officials said."),
    ("The Big Picture", "The pandemic is forcing dozens of media companies to carry out layoffs."),
    ("Between the lines", "Trump's own Justice Department published an opinion last year on the matter."),
    ("Yes, but", "List prices don't reflect discounts and rebates, which reduce net prices."),
    ("Background", "Officials within the budget office have been working on a menu of options."),
]


@pytest.mark.parametrize(("label", "sentence"), SECTIONS)
def test_a_section_label_leaves_its_paragraph_in_the_body(label, sentence):
    assert text.strip_section_labels(f"{label}: {sentence}") == sentence
    assert body_of(STORY[0], f"{label}: {sentence}", STORY[1]).split("\n\n") == [STORY[0], sentence, STORY[1]]


def test_a_page_keeps_the_paragraph_under_a_section_label():
    page = ingest.clean_page("Trump names a new spy chief\n\n" + STORY[0] + "\n\nWhy it matters: " + STORY[1])
    assert page["body"].split("\n\n") == STORY


def test_a_digest_reads_the_sentence_under_a_section_label():
    labelled = "The big picture: " + GOOD[1]
    screened = digest.screen([GOOD[0], labelled, GOOD[2]])
    assert screened.kept == (0, 1, 2) and dict(screened.stripped)[1] == GOOD[1]


@pytest.mark.parametrize("line", [
    "He added: It is a disgrace what is going on in our country today.",
    "Murphy notes: The bill is dead in the Senate for now, aides said.",
    "Trump tweeted on Thursday: The wall will be built and Mexico will pay.",
    "Trump: We will build the wall and Mexico will pay for it.",
    "Nick Gillespie: Okay. Let's get right to it, then, shall we?",
    "The Hill: Former Georgia Secretary of State Karen Handel has almost pulled even.",
    "Go deeper: Atlanta officer fired, chief resigns after fatal shooting.",
    "Editor's note: This post has been corrected to show the House minority leader.",
    "This week: The Senate votes on the spending bill that funds the government.",
    "May 20: Listen to the editor talk to a reporter in a podcast about this story.",
    "His message: I will not seek a second term, the governor told supporters.",
    "The letter suggests: “Editors are fired for running controversial pieces.”",
    "The villains: KCBX Terminals (a division of Koch Industries) and Beemsterboer Slag Co.",
    "The goal: Achieve their biggest House majority since Harry Truman’s presidency.",
    "Pelosi is correct: President Trump is not above the law, the editors wrote.",
    "Texas faces a similar problem: dozens of small counties lack the resources.",
    "Fact check: What really happened when Biden pushed out a Ukrainian prosecutor",
])
def test_a_speaker_a_clause_or_a_box_before_a_colon_is_no_section_label(line):
    assert text.strip_section_labels(line) == line


def test_a_first_line_that_starts_with_the_title_loses_it_before_its_label():
    title = "Trump’s first ambassador: Barack Obama"
    first = f"{title} On his last foreign trip as president, the task ahead of Obama is enormous."
    assert body_of(first, STORY[0], title=title).split("\n\n") == [
        "On his last foreign trip as president, the task ahead of Obama is enormous.", STORY[0]]


@pytest.mark.parametrize("caption", [  # rule 39: credits naming names "for" an outlet, or after a credit label
    "Evangelicals Preach Welcome for Immigrants Congregants worshiped at Mariners Church in Irvine, Calif., during "
    "Easter services. John Francis Peters for The Wall Street Journal More photos and interactive graphics",
    "President Trump backed away from a military confrontation with Iran. He explains it. Photo: Shutterstock",
    "Kim Yo-jong with her brother at a meeting with Moon Jae-in in the demilitarised zone in 2018. Photograph: Reuters",
    "An abandoned house on Detroit’s east side. Photograph: Erin Kirkland/The Guardian",
])
def test_a_caption_ending_at_a_credit_for_an_outlet_or_after_a_label_goes(caption):
    assert body_of(STORY[0], caption, STORY[1]).split("\n\n") == STORY


def test_a_long_paragraph_or_a_sentence_ending_for_an_outlet_stays():
    essay = ("Shawn Best, 38, Cook, Las Vegas. Best loved his job as the breakfast guy at the hotel, where he had "
             "worked since it opened nearly a decade ago, and where he knew every regular by name and by order. Now "
             "when he wakes up he has nowhere to go, and he is using his unemployment benefits and the stimulus "
             "check to pay his bills, buy food and keep up with the payments on his car for now. Daniella Zalcman "
             "for TIME")
    wrote = "The senator's daughter has written for The Atlantic and for The New Yorker."
    assert body_of(STORY[0], essay, wrote, STORY[1]).split("\n\n") == [STORY[0], essay, wrote, STORY[1]]


@pytest.mark.parametrize("caption", [  # rule 40: a caption that names a day
    "The guided-missile destroyer USS Fitzgerald arrives at the US Naval Base in Yokosuka, Japan, on Saturday.",
    "People gather at the National Cathedral on Thursday to remember gun violence victims.",
    "US President Donald Trump and Britain's Prime Minister Boris Johnson arrive for a breakfast meeting on Sunday.",
])
def test_a_caption_that_names_a_day_is_no_digest_line(caption):
    assert text.is_picture_text(caption) and not digest._stands_alone(caption)


@pytest.mark.parametrize("news", [
    "Trump departs later on Monday for Hanoi to participate in two days of meetings with Kim.",
    "Royal gun salutes were fired Monday from nearby Green Park and from the Tower of London.",
    "The teachers rally stayed off Lake Shore Drive Friday, organizers said.",
    "Sanders made big waves against a big target on Sunday as news of his rebuke made the rounds.",
    "Obama speaks Tuesday at the Naval Academy in Annapolis, aides said.",
])
def test_news_that_names_a_day_is_no_caption(news):
    assert not text.is_picture_text(news)


def test_a_heading_in_title_case_with_a_period_goes():  # rule 41
    heading = "Obama Announces Deal On Diplomatic Relations With Cuba."
    assert text.is_furniture(heading) and body_of(STORY[0], heading, STORY[1]).split("\n\n") == STORY
    for news in ("Pastor Graham is on the President's Faith Advisory Council.",
                 "Senate Majority Leader Mitch McConnell spoke to reporters.", "Obama Won."):
        assert not text.is_furniture(news)


@pytest.mark.parametrize("note", [  # rule 42: the page's notes on itself
    "The opinions expressed in this commentary are his.",
    "The views expressed in this article are the author's own and do not necessarily reflect the outlet's stance.",
    "S.V. Dáte is White House correspondent for National Journal and author of Jeb: America’s Next Bush.",
    "Randi Weingarten, President of the American Federation of Teachers, responds here.",
    "In case you missed Parts I and II of Kyle's series on Common Core, be sure to check them out too.",
    "You’re watching a recent Senate Intelligence Committee hearing about foreign internet trolls.",
])
def test_a_page_note_leaves_a_json_body_and_is_no_digest_line(note):
    assert body_of(STORY[0], note, STORY[1]).split("\n\n") == STORY
    assert text.is_furniture(note)


@pytest.mark.parametrize("news", [
    "The senator said she was glad to be here.",
    "He is a correspondent of long standing, colleagues said.",
    "The views of the voters expressed in the poll are mixed.",
    "The editor said the correspondent for the paper was safe.",
    "Investigators said they would check out every lead.",
])
def test_news_of_a_page_note_shape_stays(news):
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]
    assert not text.is_furniture(news)


def test_a_caption_whose_subject_holds_an_office_title_is_no_digest_line():  # rule 43
    assert text.is_picture_text("Sen. Kirsten Gillibrand speaks at Paul Quinn College in Dallas.")
    for news in ("Once Mr. Trump arrives in the West Wing, Dan Scavino takes control of the account.",
                 "Dr. von der Leyen arrives in Brussels with the reputation of a resilient survivor."):
        assert not text.is_picture_text(news)


@pytest.mark.parametrize("teaser", [  # rule 44
    "Trump vs. Clinton:Donald Trump to Hillary Clinton: Run for president again!",
    "Mueller report:Trump repeatedly tried to impede the Russia probe, Mueller report said.",
])
def test_a_teaser_fused_by_a_colon_goes_whatever_ends_it(teaser):
    assert text.is_furniture(teaser) and body_of(STORY[0], teaser, STORY[1]).split("\n\n") == STORY


def test_a_time_or_an_address_with_a_colon_stays():
    for news in ("At 10:30 the Senate voted to adjourn until Monday.", "The site at http://example.com went down."):
        assert not text.is_furniture(news)


# --- Round 7 (bench/README.md "Furniture, round 7", rules 45-) ----------------------------------------


def test_a_lead_heading_that_rewrites_the_title_goes():  # rule 45
    title = "Report: Medicaid enrollment climbs past 9 million"
    first = "The figures do not say how many people are still covered. Report: Medicaid rolls top 9M"
    assert body_of(first, *STORY, title=title).split("\n\n") == STORY
    # two shared words but a lead-in (a colon) or a long tail is story, as is one shared word
    for kept in ("The figures do not say how many people are covered. Governors debated the Medicaid report in detail:",
                 "The figures do not say how many are covered. For the report's authors and Medicaid's many "
                 "critics, it was a welcome turn",
                 "The figures do not say how many people are covered. Governors met on Medicaid"):
        assert body_of(kept, *STORY, title=title).split("\n\n")[0] == kept


def test_a_picture_desks_dated_caption_goes():  # rule 46
    caption = ("Jane Doe, former mayor of Springfield, announces her campaign for governor at Union Park on "
               "March 3, 2019 in Springfield, Illinois.")
    assert text.is_furniture(caption) and body_of(STORY[0], caption, STORY[1]).split("\n\n") == STORY
    for news in ("The rally was held on March 3, 2019 in Springfield, Illinois.",
                 "Doe said she would run for governor on March 3, 2019 in Springfield.",
                 "Doe announces her campaign for governor on March 3, 2019, in Springfield, Illinois, aides say."):
        assert not text.is_furniture(news) and body_of(STORY[0], news, STORY[1]).split("\n\n")[1] == news


@pytest.mark.parametrize("note", [
    "The Long Road Home by Jane Doe Hardcover, 312 pages | purchase close overlay Buy Featured Book",  # rule 47
    "A History of the Senate by John Roe Paperback, 450 pages.",
    "Your purchase helps support our public radio programming.",
    "Anna Roe put together a moving audio report on the strike that is worth listening to.",  # rule 48
    "The full interview is worth watching.",
    "You can hear the governor make the remark at the two-minute mark of the video below:",
    "Note: Here are the questions asked in this survey, along with the responses.",  # rule 49
    "Note: This story was first published in March and has been updated.",
    "Notes: The chart shows data through June for this analysis.",
    "See the survey questions and methodology for this analysis.",  # rule 50's pointer
    "Information from The Associated Press and Reuters was used in this report.",  # rule 51
    "This story contains material from Reuters.",
])
def test_round_7_page_notes_leave_a_json_body_and_are_no_digest_line(note):
    assert text.is_furniture(note)
    assert body_of(STORY[0], note, STORY[1]).split("\n\n") == STORY


@pytest.mark.parametrize("news", [
    "The senator has learned that the leader's advice is worth listening to.",
    "That said, the governor is worth watching.",
    "The pope blessed the nuns, as you can see in the video below.",
    "Temperatures stayed above normal below the ridge all week.",
    "Note: On Friday, the agency promised the website would work for most users.",
    "Critics said they could not see the poll's methodology.",
    "The paperback edition runs to 450 pages and sold well.",
    "Information from the survey was used by the campaign in its ads.",
    "Officials said the report contains material from three agencies.",
])
def test_news_of_a_round_7_page_note_shape_stays(news):
    assert not text.is_furniture(news)
    assert body_of(STORY[0], news, STORY[1]).split("\n\n") == [STORY[0], news, STORY[1]]


def test_a_methodology_box_without_its_label_goes_whole():  # rule 50
    box = ("The Center conducted this study to learn how adults view the courts. For this analysis, we surveyed "
           "9,000 adults in May. Everyone who took part is a member of an online panel recruited by mail. The "
           "survey is weighted to be representative of the adult population. Read more about the panel's methodology.")
    assert body_of(STORY[0], box, STORY[1]).split("\n\n") == STORY
    # a poll's figures in a story, with no pointer to the page's methodology, stay
    poll = ("The poll surveyed 1,000 adults and has a margin of error of 3 points. Critics questioned its "
            "methodology and said the sample was too small.")
    assert body_of(STORY[0], poll, STORY[1]).split("\n\n") == [STORY[0], poll, STORY[1]]
