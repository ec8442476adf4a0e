"""Three wire stories of one event (a bridge collapse), shared by the digest and SQL tests.

A plain module, not a test module, like badinput.py: test modules import data from here,
never from one another. The texts keep one paragraph a line, as written (hence the noqa).
"""

BRIDGE_1 = """RIVERTON (AP) — The Harlow Street bridge over the Maple River collapsed on Monday morning during rush hour, sending at least a dozen cars into the water, officials said.

By Jane Doe

Rescue crews pulled nine survivors from the river within the first hour, fire chief Dana Ruiz said at a news conference. The bridge, built in 1962, had been rated structurally deficient by state inspectors in a report last year. "We heard a sound like thunder and then the road was gone," said one witness. Governor Alan Pike declared a state of emergency for Riverton County on Monday afternoon. Divers searched the river into the night for more victims."""  # noqa: E501

BRIDGE_2 = """Officials confirmed on Tuesday that four people died when the Harlow Street bridge collapsed into the Maple River in Riverton. Rescue crews pulled nine survivors from the river within the first hour, the fire chief said. State inspectors had rated the 1962 bridge structurally deficient in a report last year, records show. Governor Alan Pike said the state of emergency for Riverton County would stay in place through the week. He promised an independent investigation into the collapse. Traffic on the east side of Riverton was diverted to the Lincoln Avenue bridge."""  # noqa: E501

BRIDGE_3 = """Federal investigators arrived in Riverton on Wednesday to examine the wreckage of the Harlow Street bridge, which collapsed into the Maple River on Monday. The death toll from the collapse rose to five after divers recovered another body on Wednesday morning. The National Transportation Safety Board said its investigation into the collapse could take a year. The bridge had been rated structurally deficient by state inspectors last year, but repairs were delayed by a budget dispute. Governor Alan Pike asked the legislature for emergency money to inspect every bridge of the same design."""  # noqa: E501
