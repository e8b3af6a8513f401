#!/usr/bin/env python3
"""make-samples-mail.py — writes the demo mail of Aozora Precision (samples/mail/).

The messages are our own writing. They are generated rather than typed so that
encodings are exact: an ISO-2022-JP Japanese mail (7-bit JIS bytes, RFC 2047
B-encoded headers), a quoted-printable UTF-8 mail with an HTML alternative, an
English mail with a text attachment (base64), and a small mbox thread whose
body holds a mboxrd-quoted ">From " line. Python 3 standard library only;
output is deterministic (fixed dates, boundaries and Message-IDs).

    python3 scripts/make-samples-mail.py [outdir]   (default: samples/mail)
"""
import base64
import os
import quopri
import sys
from email.header import Header

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "samples", "mail")


def enc_header(text, charset):
    """RFC 2047 encoded word(s) for a header value."""
    return Header(text, charset).encode()


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def crlf(s):
    return s.replace("\n", "\r\n")


# 1. English mail with a small text attachment --------------------------------
milestones = """Project Kestrel - milestone plan (rev. 3)

M1  2026-03-20  Gripper v2 drawings frozen (owner: Mei Lin)
M2  2026-04-15  Hokuto Motors HM-40 servo samples qualified
M3  2026-05-29  Pilot cell running at Northwind Freight, Columbus DC
M4  2026-07-01  Safety certification (ISO 10218) submitted
M5  2026-08-17  Launch (Q3), first 20 units shipped

Risk: servo lead time from Hokuto Motors is 10 weeks.
"""
body1 = """Hanako,

Here is where Kestrel stands after Monday's review.

Decision: we keep the Q3 launch date and ship the first 20 units in mid-August.
The gripper redesign (v2) is on track; Mei Lin will freeze the drawings by March 20.

The open risk is the HM-40 servo from Hokuto Motors: their lead time went from
6 to 10 weeks. Kenji, can you approve a buffer order of 60 servos this week?

Action items:
- Kenji Sato: approve the buffer order for 60 HM-40 servos by Friday.
- Tom Becker: confirm the pilot cell dates with Northwind Freight.
- Daniel Okafor: send the updated milestone plan (attached) to the board.

Best,
Daniel

--
Daniel Okafor, CTO
Aozora Precision Inc. | Boston office
"""
b = "==aozora-boundary-1=="
mail1 = f"""From: Daniel Okafor <daniel.okafor@aozora-precision.example>
To: Hanako Yamada <hanako.yamada@aozora-precision.example>
Cc: Kenji Sato <kenji.sato@aozora-precision.example>, Tom Becker <tom.becker@aozora-precision.example>
Subject: Kestrel: launch plan after the design review
Date: Tue, 03 Mar 2026 09:12:00 -0500
Message-ID: <kestrel-plan-0303@aozora-precision.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{b}"

This is a multi-part message in MIME format.

--{b}
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

{body1}
--{b}
Content-Type: text/plain; charset=utf-8; name="kestrel-milestones.txt"
Content-Disposition: attachment; filename="kestrel-milestones.txt"
Content-Transfer-Encoding: base64

{base64.encodebytes(milestones.encode()).decode()}
--{b}--
"""
write("kestrel-launch-plan.eml", crlf(mail1).encode("ascii"))

# 2. Japanese mail in ISO-2022-JP ------------------------------------------------
subj_ja = "北斗モーター社 HM-40 サーボの納期について"
body_ja = """山田社長

お疲れ様です。佐藤です。

北斗モーター社（Hokuto Motors）から連絡があり、Kestrel 用の HM-40 サーボの
納期が6週間から10週間に延びるとのことです。

決定事項：
・安全在庫として HM-40 を60台、本日（3月3日、ボストン時間）北斗モーター社に発注しました。
・費用は約420万円で、第1四半期の予算内に収まります。
・納品は5月中旬の予定です。5月15日までに大阪に届かない場合、パイロットはラボのアームで行います。

アクションアイテム：
・佐藤：3月10日までに北斗モーター社と納期を再確認する。
・Mei Lin さん：エンコーダの第二サプライヤーの評価を4月30日までに完了する。

ご確認のほど、よろしくお願いいたします。

佐藤健二
株式会社青空精機 財務部（大阪本社）
"""
from_ja = enc_header("佐藤健二", "iso-2022-jp")
to_ja = enc_header("山田花子", "iso-2022-jp")
mail2_head = f"""From: {from_ja} <kenji.sato@aozora-precision.example>
To: {to_ja} <hanako.yamada@aozora-precision.example>
Cc: Daniel Okafor <daniel.okafor@aozora-precision.example>
Subject: {enc_header(subj_ja, "iso-2022-jp")}
Date: Wed, 04 Mar 2026 10:30:00 +0900
Message-ID: <hm40-leadtime-0304@aozora-precision.example>
In-Reply-To: <kestrel-plan-0303@aozora-precision.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

"""
write("hm40-noki.eml", crlf(mail2_head).encode("ascii") + crlf(body_ja).encode("iso-2022-jp"))

# 3. quoted-printable UTF-8, text + HTML alternative ------------------------------
text3 = """Hi Priya,

Thanks for hosting us in Columbus. As agreed, the Kestrel pilot cell will run
from May 29 to June 26 on the returns line – two arms, one operator shift.
Pricing for the pilot is €0 for hardware; Northwind Freight covers site power
and the conveyor interface (≈ 2 days of integration work).

Next step: Mei Lin will send the interface spec by March 13.

Regards,
Tom Becker
Sales lead, Aozora Precision
"""
html3 = """<html><body><p>Hi Priya,</p>
<p>Thanks for hosting us in Columbus. As agreed, the <b>Kestrel pilot cell</b> will run
from May 29 to June 26 on the returns line &ndash; two arms, one operator shift.</p>
<p>Pricing for the pilot is &euro;0 for hardware; Northwind Freight covers site power
and the conveyor interface (&asymp; 2 days of integration work).</p>
<p>Next step: Mei Lin will send the interface spec by March 13.</p>
<p>Regards,<br>Tom Becker<br>Sales lead, Aozora Precision</p></body></html>
"""
b3 = "==aozora-alt-3=="
qp = lambda s: quopri.encodestring(s.encode("utf-8")).decode("ascii")
mail3 = f"""From: Tom Becker <tom.becker@aozora-precision.example>
To: Priya Raman <priya.raman@northwind-freight.example>
Cc: Mei Lin <mei.lin@aozora-precision.example>
Subject: {enc_header("Kestrel pilot at Northwind Freight – dates and scope", "utf-8")}
Date: Thu, 05 Mar 2026 16:45:00 -0500
Message-ID: <pilot-northwind-0305@aozora-precision.example>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="{b3}"

--{b3}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(text3)}
--{b3}
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{qp(html3)}
--{b3}--
"""
write("northwind-pilot.eml", crlf(mail3).encode("ascii"))

# 4. a small mbox thread ----------------------------------------------------------
thread = [
    ("mei.lin@aozora-precision.example", "Mei Lin", "Sat Mar  7 08:02:11 2026",
     "Sat, 07 Mar 2026 08:02:11 -0500", "<grip-v2-1@aozora-precision.example>", None,
     "Gripper v2: finger pad material",
     """Daniel,

Test results for the finger pads: the silicone pads slip on shrink-wrapped
boxes (4 of 50 picks failed). The polyurethane pads had zero failures.

I propose we switch to polyurethane for v2. It adds $3.20 per arm.

Mei
"""),
    ("daniel.okafor@aozora-precision.example", "Daniel Okafor", "Sat Mar  7 10:15:40 2026",
     "Sat, 07 Mar 2026 10:15:40 -0500", "<grip-v2-2@aozora-precision.example>",
     "<grip-v2-1@aozora-precision.example>",
     "Re: Gripper v2: finger pad material",
     """Agreed, go with polyurethane. Please update the BOM and tell Hokuto
Motors nothing changes on their side.

On Sat, Mar 7, 2026 at 8:02 AM Mei Lin <mei.lin@aozora-precision.example> wrote:
> Test results for the finger pads: the silicone pads slip on shrink-wrapped
> boxes (4 of 50 picks failed). The polyurethane pads had zero failures.
>
> I propose we switch to polyurethane for v2. It adds $3.20 per arm.
"""),
    ("mei.lin@aozora-precision.example", "Mei Lin", "Mon Mar  9 09:00:05 2026",
     "Mon, 09 Mar 2026 09:00:05 -0500", "<grip-v2-3@aozora-precision.example>",
     "<grip-v2-2@aozora-precision.example>",
     "Re: Gripper v2: finger pad material",
     """BOM updated (rev. F). One note for the record, quoting the supplier sheet:

From the datasheet: PU-70 shore A, rated for 2 million cycles.

Mei

> Agreed, go with polyurethane.
"""),
]
mbox = []
for addr, name, from_date, date, mid, irt, subj, body in thread:
    # mboxrd: a body line starting with "From " or ">From " gets one more '>'
    lines = []
    for line in body.split("\n"):
        stripped = line.lstrip(">")
        if stripped.startswith("From "):
            line = ">" + line
        lines.append(line)
    body = "\n".join(lines)
    head = [f"From {addr} {from_date}",
            f"From: {name} <{addr}>",
            "To: " + ("Daniel Okafor <daniel.okafor@aozora-precision.example>" if name == "Mei Lin"
                      else "Mei Lin <mei.lin@aozora-precision.example>"),
            f"Subject: {subj}", f"Date: {date}", f"Message-ID: {mid}"]
    if irt:
        head.append(f"In-Reply-To: {irt}")
        head.append(f"References: {irt}")
    head += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit"]
    mbox.append("\n".join(head) + "\n\n" + body + "\n")
write("gripper-v2-thread.mbox", "".join(mbox).encode("utf-8"))
print("wrote", os.path.normpath(OUT))
