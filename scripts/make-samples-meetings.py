#!/usr/bin/env python3
"""make-samples-meetings.py — writes the meeting minutes of Aozora Precision
that are Office files: samples/meetings/board-prep-minutes-2026-12-01.docx.

The other meeting samples (vtt, srt, md) are plain text kept as they are. The
docx is built with the OOXML helpers of make-samples-docs.py (standard library
only, deterministic: fixed dates and zip timestamps).

    python3 scripts/make-samples-meetings.py [repo-root]
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("samples_docs", os.path.join(HERE, "make-samples-docs.py"))
sd = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sd)
if len(sys.argv) > 1:
    sd.ROOT = sys.argv[1]

p = sd.docx_p
body = "".join([
    p("Board meeting preparation: minutes", "Title"),
    p("Date: 1 December 2026"),
    p("Attendees: Hanako Yamada, Kenji Sato, Daniel Okafor, Tom Becker"),
    p("Discussion", "Heading1"),
    p("Kenji presented the FY2027 budget outline. The revenue plan rests on 45 units."),
    p("Hanako asked for a second scenario with 30 units, in case the Columbus site waits for its own budget."),
    p("Decision: the board pack includes both scenarios."),
    p("We agreed to move the board meeting to December 16 so that the audit questions are answered first."),
    p("Last year the board pack went out two days late; nobody wants that again."),
    p("Action items", "Heading1"),
    p("Kenji Sato: draft the FY2027 plan with both scenarios by December 11."),
    p("Daniel Okafor: update the product roadmap slides by next Monday."),
    p("Tom Becker: send the sales pipeline summary EOD tomorrow."),
    p("Hanako Yamada: send the board invitations by the end of the week."),
    p("Kenji Sato: close the open audit questions by January 8."),
    p("Daniel Okafor: renew the export licence for the KR-7 controller by end of year."),
    p("Next meeting: 15 December 2026."),
])
sd.write("samples/meetings/board-prep-minutes-2026-12-01.docx",
         sd.make_docx(body, "Board meeting preparation: minutes", "Kenji Sato", "2026-12-01T17:30:00Z"))
