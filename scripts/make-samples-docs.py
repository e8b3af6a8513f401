#!/usr/bin/env python3
"""make-samples-docs.py — writes the demo documents of Aozora Precision
(株式会社青空精機): samples/docs/, samples/finance/ and samples/ja/.

All text is our own writing about a fictional company. Office files and PDFs
are real files built by hand with the Python 3 standard library only:
  * docx / xlsx / pptx: zipfile + handwritten OOXML (content types,
    relationships, core properties, styles; a slide master, layout and theme
    for the deck so office suites open it);
  * PDF: objects, xref table and trailer written byte by byte, text in the
    standard Helvetica fonts (WinAnsiEncoding), an info dictionary;
  * an RC4-encrypted PDF (standard security handler, revision 2, user
    password "kestrel") for the extractor's "encrypted" path, written to
    fuzz/corpus/pdf/ rather than samples/ (it is a test input, not a demo).
Text files use the encodings their names say (Shift_JIS, EUC-JP, UTF-16).
Output is deterministic: fixed dates, fixed zip timestamps, fixed file IDs.

    python3 scripts/make-samples-docs.py [repo-root]
"""
import datetime
import hashlib
import os
import sys
import zipfile
from xml.sax.saxutils import escape

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ZIP_DATE = (2026, 6, 1, 9, 0, 0)


def write(rel, data):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(path, "wb") as f:
        f.write(data)


def x(s):
    return escape(s, {'"': "&quot;"})


# ---------------------------------------------------------------------------
# OOXML packages
# ---------------------------------------------------------------------------

def zip_package(parts):
    """parts: list of (name, text). [Content_Types].xml must come first."""
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, text.encode("utf-8") if isinstance(text, str) else text)
    return buf.getvalue()


XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
R_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def rels(items):
    out = [XML_HEAD, '<Relationships xmlns="%s">' % REL_NS]
    for rid, typ, target in items:
        out.append('<Relationship Id="%s" Type="%s/%s" Target="%s"/>' % (rid, R_OFFICE, typ, target))
    out.append("</Relationships>")
    return "".join(out)


def core_props(title, creator, created, subject="", keywords=""):
    return (XML_HEAD +
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:title>%s</dc:title><dc:subject>%s</dc:subject><dc:creator>%s</dc:creator>"
            "<cp:keywords>%s</cp:keywords><cp:lastModifiedBy>%s</cp:lastModifiedBy>"
            '<dcterms:created xsi:type="dcterms:W3CDTF">%s</dcterms:created>'
            '<dcterms:modified xsi:type="dcterms:W3CDTF">%s</dcterms:modified>'
            "</cp:coreProperties>" % (x(title), x(subject), x(creator), x(keywords), x(creator), created, created))


def app_props(app="Aozora sample generator"):
    return (XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            "<Application>%s</Application></Properties>" % x(app))


CT_DEFAULTS = ('<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               '<Default Extension="xml" ContentType="application/xml"/>')
CT_CORE = ('<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
           '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>')


def content_types(overrides):
    return (XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' + CT_DEFAULTS +
            CT_CORE + "".join('<Override PartName="%s" ContentType="%s"/>' % o for o in overrides) + "</Types>")


ROOT_RELS = rels([("rId1", "officeDocument", "%s"),
                  ("rId2", "metadata/core-properties", "docProps/core.xml"),
                  ("rId3", "extended-properties", "docProps/app.xml")]).replace(
    R_OFFICE + "/metadata/core-properties", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties")

# ---- docx ------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_styles(heading_ids):
    """heading_ids: style ids for Title, Heading 1, Heading 2 (Japanese Word uses "1", "2")."""
    title_id, h1_id, h2_id = heading_ids

    def style(sid, name, outline=None, size=None, bold=True):
        ppr = '<w:pPr><w:keepNext/><w:outlineLvl w:val="%d"/></w:pPr>' % outline if outline is not None else ""
        rpr = "<w:rPr>%s%s</w:rPr>" % ("<w:b/>" if bold else "", '<w:sz w:val="%d"/>' % size if size else "")
        return ('<w:style w:type="paragraph" w:styleId="%s"><w:name w:val="%s"/><w:basedOn w:val="Normal"/>'
                '<w:next w:val="Normal"/><w:qFormat/>%s%s</w:style>' % (sid, name, ppr, rpr))
    return (XML_HEAD + '<w:styles xmlns:w="%s">' % W_NS +
            '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>' +
            style(title_id, "Title", size=48) + style(h1_id, "heading 1", 0, 32) + style(h2_id, "heading 2", 1, 26) +
            '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>'
            "</w:styles>")


def docx_run(text):
    return '<w:r><w:t xml:space="preserve">%s</w:t></w:r>' % x(text)


def docx_p(text, style=None):
    ppr = '<w:pPr><w:pStyle w:val="%s"/></w:pPr>' % style if style else ""
    return "<w:p>%s%s</w:p>" % (ppr, docx_run(text))


def docx_table(rows):
    out = ['<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>']
    out += ['<w:gridCol w:w="3000"/>' for _ in rows[0]]
    out.append("</w:tblGrid>")
    for row in rows:
        out.append("<w:tr>")
        for cell in row:
            out.append('<w:tc><w:tcPr><w:tcW w:w="3000" w:type="dxa"/></w:tcPr>%s</w:tc>' % docx_p(cell))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def make_docx(body_xml, title, creator, created, heading_ids=("Title", "Heading1", "Heading2"), subject="", keywords=""):
    doc = (XML_HEAD + '<w:document xmlns:w="%s" xmlns:r="%s"><w:body>%s'
           '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" '
           'w:left="1440" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>'
           % (W_NS, R_OFFICE, body_xml))
    return zip_package([
        ("[Content_Types].xml", content_types([
            ("/word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
            ("/word/styles.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml")])),
        ("_rels/.rels", ROOT_RELS % "word/document.xml"),
        ("word/document.xml", doc),
        ("word/_rels/document.xml.rels", rels([("rId1", "styles", "styles.xml")])),
        ("word/styles.xml", docx_styles(heading_ids)),
        ("docProps/core.xml", core_props(title, creator, created, subject, keywords)),
        ("docProps/app.xml", app_props("Microsoft Office Word")),
    ])

# ---- xlsx ------------------------------------------------------------------


def col_name(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def make_xlsx(sheets, title, creator, created):
    """sheets: list of (name, rows); a cell is a str, a number, a datetime.date (stored as a
    serial number with a date style), or ("=FORMULA", cached number)."""
    sst, sst_index = [], {}

    def s_idx(text):
        if text not in sst_index:
            sst_index[text] = len(sst)
            sst.append(text)
        return sst_index[text]

    sheet_xml = []
    for name, rows in sheets:
        out = [XML_HEAD, '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="%s"><sheetData>' % R_OFFICE]
        for r, row in enumerate(rows, start=1):
            out.append('<row r="%d">' % r)
            for c, val in enumerate(row):
                ref = "%s%d" % (col_name(c), r)
                if val is None or val == "":
                    continue
                if isinstance(val, datetime.date):
                    serial = (val - datetime.date(1899, 12, 30)).days
                    out.append('<c r="%s" s="1"><v>%d</v></c>' % (ref, serial))
                elif isinstance(val, tuple):
                    out.append('<c r="%s"><f>%s</f><v>%s</v></c>' % (ref, x(val[0].lstrip("=")), val[1]))
                elif isinstance(val, (int, float)):
                    out.append('<c r="%s"><v>%s</v></c>' % (ref, val))
                else:
                    out.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, s_idx(val)))
            out.append("</row>")
        out.append("</sheetData></worksheet>")
        sheet_xml.append("".join(out))
    sst_xml = (XML_HEAD + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" '
               'uniqueCount="%d">' % (len(sst), len(sst)) +
               "".join('<si><t xml:space="preserve">%s</t></si>' % x(s) for s in sst) + "</sst>")
    wb = (XML_HEAD + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="%s"><sheets>'
          % R_OFFICE + "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (x(n), i + 1, i + 1)
                               for i, (n, _) in enumerate(sheets)) + "</sheets></workbook>")
    n = len(sheets)
    wb_rels = rels([("rId%d" % (i + 1), "worksheet", "worksheets/sheet%d.xml" % (i + 1)) for i in range(n)] +
                   [("rId%d" % (n + 1), "sharedStrings", "sharedStrings.xml"), ("rId%d" % (n + 2), "styles", "styles.xml")])
    styles = (XML_HEAD + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
              '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
              '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
              '<cellXfs count="2"><xf xfId="0"/><xf xfId="0" numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
    parts = [("[Content_Types].xml", content_types(
        [("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
         ("/xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"),
         ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml")] +
        [("/xl/worksheets/sheet%d.xml" % (i + 1),
          "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml") for i in range(n)])),
        ("_rels/.rels", ROOT_RELS % "xl/workbook.xml"),
        ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wb_rels),
        ("xl/sharedStrings.xml", sst_xml), ("xl/styles.xml", styles)]
    parts += [("xl/worksheets/sheet%d.xml" % (i + 1), s) for i, s in enumerate(sheet_xml)]
    parts += [("docProps/core.xml", core_props(title, creator, created)), ("docProps/app.xml", app_props("Microsoft Excel"))]
    return zip_package(parts)

# ---- pptx ------------------------------------------------------------------


P_NS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="%s" '
        'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"' % R_OFFICE)
SP_TREE_HEAD = ('<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr>'
                '<p:grpSpPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/><a:chOff x="0" y="0"/>'
                '<a:chExt cx="0" cy="0"/></a:xfrm></p:grpSpPr>')


def a_paras(lines):
    return "".join('<a:p><a:r><a:rPr lang="en-US"/><a:t>%s</a:t></a:r></a:p>' % x(l) for l in lines)


def shape(sid, name, ph, lines, y):
    ph_xml = '<p:ph type="%s"/>' % ph if ph == "title" else '<p:ph idx="1"/>' if ph == "body" else ""
    return ('<p:sp><p:nvSpPr><p:cNvPr id="%d" name="%s"/><p:cNvSpPr/><p:nvPr>%s</p:nvPr></p:nvSpPr>'
            '<p:spPr><a:xfrm><a:off x="457200" y="%d"/><a:ext cx="8229600" cy="1143000"/></a:xfrm></p:spPr>'
            '<p:txBody><a:bodyPr/><a:lstStyle/>%s</p:txBody></p:sp>' % (sid, name, ph_xml, y, a_paras(lines)))


def table_frame(sid, rows):
    grid = "".join('<a:gridCol w="2057400"/>' for _ in rows[0])
    trs = "".join('<a:tr h="370840">%s</a:tr>' % "".join(
        '<a:tc><a:txBody><a:bodyPr/><a:lstStyle/>%s</a:txBody><a:tcPr/></a:tc>' % a_paras([c]) for c in row)
        for row in rows)
    return ('<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="%d" name="Table"/><p:cNvGraphicFramePr/><p:nvPr/>'
            '</p:nvGraphicFramePr><p:xfrm><a:off x="457200" y="1600200"/><a:ext cx="8229600" cy="1483360"/></p:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/table"><a:tbl>'
            '<a:tblGrid>%s</a:tblGrid>%s</a:tbl></a:graphicData></a:graphic></p:graphicFrame>' % (sid, grid, trs))


THEME = (XML_HEAD + '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Aozora">'
         '<a:themeElements><a:clrScheme name="Aozora"><a:dk1><a:srgbClr val="000000"/></a:dk1><a:lt1><a:srgbClr val="FFFFFF"/></a:lt1>'
         '<a:dk2><a:srgbClr val="1F3864"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2><a:accent1><a:srgbClr val="4472C4"/></a:accent1>'
         '<a:accent2><a:srgbClr val="ED7D31"/></a:accent2><a:accent3><a:srgbClr val="A5A5A5"/></a:accent3><a:accent4><a:srgbClr val="FFC000"/></a:accent4>'
         '<a:accent5><a:srgbClr val="5B9BD5"/></a:accent5><a:accent6><a:srgbClr val="70AD47"/></a:accent6><a:hlink><a:srgbClr val="0563C1"/></a:hlink>'
         '<a:folHlink><a:srgbClr val="954F72"/></a:folHlink></a:clrScheme><a:fontScheme name="Aozora"><a:majorFont><a:latin typeface="Calibri"/>'
         '<a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/>'
         '</a:minorFont></a:fontScheme><a:fmtScheme name="Aozora"><a:fillStyleLst><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
         '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:fillStyleLst>'
         '<a:lnStyleLst><a:ln w="6350"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="12700"><a:solidFill>'
         '<a:schemeClr val="phClr"/></a:solidFill></a:ln><a:ln w="19050"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>'
         '</a:lnStyleLst><a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle>'
         '<a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst><a:bgFillStyleLst><a:solidFill><a:schemeClr val="phClr"/>'
         '</a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill><a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
         '</a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>')


def make_pptx(slides, title, creator, created):
    """slides: list of dicts {title, body: [lines], table: [[...]], notes: [lines]}."""
    parts = []
    n = len(slides)
    overrides = [("/ppt/presentation.xml", "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
                 ("/ppt/slideMasters/slideMaster1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slideMaster+xml"),
                 ("/ppt/slideLayouts/slideLayout1.xml", "application/vnd.openxmlformats-officedocument.presentationml.slideLayout+xml"),
                 ("/ppt/theme/theme1.xml", "application/vnd.openxmlformats-officedocument.theme+xml")]
    for i, s in enumerate(slides, start=1):
        overrides.append(("/ppt/slides/slide%d.xml" % i, "application/vnd.openxmlformats-officedocument.presentationml.slide+xml"))
        if s.get("notes"):
            overrides.append(("/ppt/notesSlides/notesSlide%d.xml" % i,
                              "application/vnd.openxmlformats-officedocument.presentationml.notesSlide+xml"))
    parts.append(("[Content_Types].xml", content_types(overrides)))
    parts.append(("_rels/.rels", ROOT_RELS % "ppt/presentation.xml"))
    pres = (XML_HEAD + "<p:presentation %s><p:sldMasterIdLst><p:sldMasterId id=\"2147483648\" r:id=\"rId1\"/></p:sldMasterIdLst>"
            "<p:sldIdLst>%s</p:sldIdLst><p:sldSz cx=\"9144000\" cy=\"6858000\"/><p:notesSz cx=\"6858000\" cy=\"9144000\"/>"
            "</p:presentation>" % (P_NS, "".join('<p:sldId id="%d" r:id="rId%d"/>' % (255 + i, i + 1) for i in range(1, n + 1))))
    parts.append(("ppt/presentation.xml", pres))
    parts.append(("ppt/_rels/presentation.xml.rels", rels(
        [("rId1", "slideMaster", "slideMasters/slideMaster1.xml")] +
        [("rId%d" % (i + 1), "slide", "slides/slide%d.xml" % i) for i in range(1, n + 1)] +
        [("rId%d" % (n + 2), "theme", "theme/theme1.xml")])))
    master = (XML_HEAD + "<p:sldMaster %s><p:cSld><p:spTree>%s</p:spTree></p:cSld>"
              '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" accent3="accent3" '
              'accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" folHlink="folHlink"/>'
              '<p:sldLayoutIdLst><p:sldLayoutId id="2147483649" r:id="rId1"/></p:sldLayoutIdLst></p:sldMaster>' % (P_NS, SP_TREE_HEAD))
    parts.append(("ppt/slideMasters/slideMaster1.xml", master))
    parts.append(("ppt/slideMasters/_rels/slideMaster1.xml.rels", rels(
        [("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml"), ("rId2", "theme", "../theme/theme1.xml")])))
    layout = (XML_HEAD + '<p:sldLayout %s type="titleAndContent"><p:cSld name="Title and Content"><p:spTree>%s</p:spTree>'
              "</p:cSld></p:sldLayout>" % (P_NS, SP_TREE_HEAD))
    parts.append(("ppt/slideLayouts/slideLayout1.xml", layout))
    parts.append(("ppt/slideLayouts/_rels/slideLayout1.xml.rels", rels([("rId1", "slideMaster", "../slideMasters/slideMaster1.xml")])))
    parts.append(("ppt/theme/theme1.xml", THEME))
    for i, s in enumerate(slides, start=1):
        tree = shape(2, "Title 1", "title", [s["title"]], 274638)
        if s.get("body"):
            tree += shape(3, "Content 2", "body", s["body"], 1600200)
        if s.get("table"):
            tree += table_frame(4, s["table"])
        parts.append(("ppt/slides/slide%d.xml" % i, XML_HEAD + "<p:sld %s><p:cSld><p:spTree>%s%s</p:spTree></p:cSld></p:sld>"
                      % (P_NS, SP_TREE_HEAD, tree)))
        srels = [("rId1", "slideLayout", "../slideLayouts/slideLayout1.xml")]
        if s.get("notes"):
            srels.append(("rId2", "notesSlide", "../notesSlides/notesSlide%d.xml" % i))
            notes = (XML_HEAD + "<p:notes %s><p:cSld><p:spTree>%s"
                     '<p:sp><p:nvSpPr><p:cNvPr id="2" name="Slide Image"/><p:cNvSpPr/><p:nvPr><p:ph type="sldImg"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp>'
                     '<p:sp><p:nvSpPr><p:cNvPr id="3" name="Notes"/><p:cNvSpPr/><p:nvPr><p:ph type="body" idx="1"/></p:nvPr></p:nvSpPr>'
                     "<p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>%s</p:txBody></p:sp>"
                     '<p:sp><p:nvSpPr><p:cNvPr id="4" name="Slide Number"/><p:cNvSpPr/><p:nvPr><p:ph type="sldNum" idx="5"/></p:nvPr></p:nvSpPr>'
                     '<p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:fld id="{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}" type="slidenum">'
                     "<a:t>%d</a:t></a:fld></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>"
                     % (P_NS, SP_TREE_HEAD, a_paras(s["notes"]), i))
            parts.append(("ppt/notesSlides/notesSlide%d.xml" % i, notes))
            parts.append(("ppt/notesSlides/_rels/notesSlide%d.xml.rels" % i,
                          rels([("rId1", "slide", "../slides/slide%d.xml" % i)])))
        parts.append(("ppt/slides/_rels/slide%d.xml.rels" % i, rels(srels)))
    parts.append(("docProps/core.xml", core_props(title, creator, created)))
    parts.append(("docProps/app.xml", app_props("Microsoft Office PowerPoint")))
    return zip_package(parts)

# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------


def pdf_str(s):
    b = s.encode("cp1252")
    return b"(" + b.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def wrap(text, width=86):
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = cur + " " + w if cur else w
    if cur:
        lines.append(cur)
    return lines


def page_stream(blocks, page_no, footer):
    """blocks: list of ("h", text) headings or ("p", text) paragraphs."""
    out = [b"BT", b"14 TL", b"72 770 Td"]
    for kind, text in blocks:
        if kind == "h":
            out += [b"/F2 14 Tf", pdf_str(text) + b" Tj", b"T*", b"/F1 10.5 Tf"]
        else:
            out.append(b"/F1 10.5 Tf")
            for line in wrap(text):
                out += [pdf_str(line) + b" Tj", b"T*"]
        out.append(b"T*")
    out.append(b"ET")
    out += [b"BT", b"/F1 8 Tf", b"72 40 Td", pdf_str("%s - page %d" % (footer, page_no)) + b" Tj", b"ET"]
    return b"\n".join(out) + b"\n"


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    i = j = 0
    out = bytearray()
    for c in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(c ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def make_pdf(pages, info, footer, user_password=None):
    """pages: list of block lists. Returns PDF bytes (RC4-40 encrypted if user_password)."""
    file_id = hashlib.md5(repr((info, footer)).encode()).digest()
    objs = {}  # num -> bytes (without "n 0 obj")
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 F1, 4 F2, 5 info, then per page: page obj + content obj, then encrypt dict
    key = None
    perms = -44  # printing and copying denied beyond the basics; any value works for R2
    if user_password is not None:
        owner = hashlib.md5((b"owner-" + user_password.encode())[:32].ljust(32, b"\0")).digest()[:5]
        upad = (user_password.encode() + PAD)[:32]
        o_entry = rc4(owner, upad)
        h = hashlib.md5(upad + o_entry + (perms & 0xFFFFFFFF).to_bytes(4, "little") + file_id).digest()
        key = h[:5]
        u_entry = rc4(key, PAD)

    def enc(num, data):
        if key is None:
            return data
        k = hashlib.md5(key + num.to_bytes(3, "little") + (0).to_bytes(2, "little")).digest()[:10]
        return rc4(k, data)

    def s(num, text):
        b = text.encode("cp1252")
        if key is None:
            return pdf_str(text)
        return b"<" + enc(num, b).hex().encode() + b">"

    kids = []
    for i, blocks in enumerate(pages):
        pnum, cnum = 6 + 2 * i, 7 + 2 * i
        kids.append(pnum)
        stream = enc(cnum, page_stream(blocks, i + 1, footer))
        objs[pnum] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> "
                      b"/Contents %d 0 R >>" % cnum)
        objs[cnum] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), n_pages)
    objs[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    objs[4] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
    objs[5] = (b"<< /Title " + s(5, info["title"]) + b" /Author " + s(5, info["author"]) + b" /Subject " +
               s(5, info.get("subject", "")) + b" /Creator " + s(5, "Aozora Precision document system") +
               b" /Producer " + s(5, "make-samples-docs.py") + b" /CreationDate " + s(5, info["date"]) + b" >>")
    encrypt_num = None
    if key is not None:
        encrypt_num = 6 + 2 * n_pages
        objs[encrypt_num] = (b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P %d /O <%s> /U <%s> >>"
                             % (perms, o_entry.hex().encode(), u_entry.hex().encode()))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for num in sorted(objs):
        offsets[num] = len(out)
        out += b"%d 0 obj\n" % num + objs[num] + b"\nendobj\n"
    xref = len(out)
    size = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for num in range(1, size):
        out += b"%010d 00000 n \n" % offsets[num]
    trailer = b"<< /Size %d /Root 1 0 R /Info 5 0 R /ID [<%s> <%s>]" % (size, file_id.hex().encode(), file_id.hex().encode())
    if encrypt_num:
        trailer += b" /Encrypt %d 0 R" % encrypt_num
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)

# ---------------------------------------------------------------------------
# Content: samples/docs/
# ---------------------------------------------------------------------------

HANDBOOK_MD = """---
title: Aozora Precision Employee Handbook
owner: People Operations
revised: 2026-04-01
---

# Aozora Precision Employee Handbook

Welcome to Aozora Precision (株式会社青空精機). We design and build precision robot arms in
Osaka, Japan, and sell and support them from our Boston office. This handbook applies to every
employee in both offices. Questions go to People Operations (people@aozora-precision.example).

## Working hours

Core hours are 10:00 to 15:00 local time, Monday to Friday. Outside core hours you may start
and finish when it suits your work, as long as you work 40 hours a week on average over a month.

Factory staff on the Osaka assembly lines follow the shift plan published by the line leader
every Thursday. Shifts start at 07:00 and 15:00.

## Leave

### Annual leave

Every full-time employee receives 20 days of paid annual leave per year, granted on April 1.
Up to 10 unused days carry over to the next year; days beyond that expire on March 31.
Request leave in the HR portal at least five working days in advance.

### Sick leave

You have 10 days of paid sick leave per year. For absences longer than three consecutive days
we ask for a doctor's note. Sick leave does not carry over.

### Parental leave

Parents may take up to 12 months of parental leave. The first 8 weeks are paid at full salary
by the company, in both Osaka and Boston.

## Remote work

You may work remotely up to three days a week after your first three months. Engineering
staff working on hardware prototypes should plan lab days with their team lead. Laptops must
use the company VPN outside the office.

## Expenses

Submit expenses within 30 days with receipts. Purchases above USD 500 (or JPY 75,000) need
your manager's approval before you buy. Anything above USD 5,000 (JPY 750,000) also needs
approval by the CFO, Kenji Sato. Travel is booked through the travel desk; see the Travel and
Security Policy for per-diem rates.

```
Expense limits (per item)
  no approval        up to USD 500
  manager            USD 500 - 5,000
  manager + CFO      above USD 5,000
```

## Security

Wear your badge at all times on site. Visitors to the Osaka factory sign in at reception and
are escorted. Customer data, including Northwind Freight warehouse layouts, is confidential
and stays in the project folders.

## Contacts

- CEO: Hanako Yamada (山田花子)
- CTO: Daniel Okafor
- CFO: Kenji Sato (佐藤健二)
- People Operations, Osaka: extension 2100
- Facilities, Boston: extension 4100
"""

SPEC_BODY = "".join([
    docx_p("Kestrel KR-7 Product Specification", "Title"),
    docx_p("Document AP-SPEC-0042, revision C, 2 April 2026. Owner: Daniel Okafor (CTO). "
           "Contributors: Mei Lin (engineering), Tom Becker (sales)."),
    docx_p("Overview", "Heading1"),
    docx_p("The Kestrel KR-7 is a six-axis robot arm for warehouse picking. It picks mixed items "
           "from totes and shelves and places them into order boxes. Kestrel is designed for "
           "third-party logistics centres such as Northwind Freight's Columbus distribution centre, "
           "where the pilot cell runs from May 29, 2026. Launch is planned for Q3 2026 "
           "(August 17, 2026), with the first 20 units shipped at launch."),
    docx_p("Mechanical", "Heading1"),
    docx_p("Payload and reach", "Heading2"),
    docx_p("Rated payload is 7 kg at full reach. Reach is 1,150 mm. Position repeatability is "
           "plus or minus 0.02 mm. The arm weighs 38 kg and mounts on floor, ceiling or a mobile base."),
    docx_table([["Parameter", "Value", "Note"],
                ["Payload", "7 kg", "at 1,150 mm reach"],
                ["Repeatability", "±0.02 mm", "ISO 9283"],
                ["Pick rate", "620 picks per hour", "gripper v2, lab test, March 2026"],
                ["Power", "400 W typical", "peak 1.2 kW"],
                ["Protection", "IP54", "wrist IP67"]]),
    docx_p("Gripper v2", "Heading2"),
    docx_p("The v2 vacuum-and-finger gripper raised the lab pick rate from 540 to 620 items per "
           "hour. Drawings were frozen on March 20, 2026 (revision E). New silicone finger pads "
           "handle shrink-wrapped boxes, the main failure case of v1."),
    docx_p("Drive train", "Heading1"),
    docx_p("Joints 1 to 3 use the HM-40 servo from Hokuto Motors; joints 4 to 6 use the HM-25. "
           "Hokuto's lead time for the HM-40 is ten weeks, so operations keeps a buffer of 60 servos. "
           "Encoders are dual-sourced from two suppliers to avoid a single point of failure."),
    docx_p("Safety", "Heading1"),
    docx_p("Kestrel complies with ISO 10218-1. The safety certification file is submitted on "
           "July 1, 2026. Collaborative mode limits speed to 250 mm/s when a person enters the "
           "light curtain zone."),
    docx_p("Pricing", "Heading1"),
    docx_p("List price is USD 48,000 per arm including the controller (JPY 7.2 million in Japan). "
           "The service contract costs USD 4,800 per year. Pilot customers receive a 15% discount "
           "on their first ten units."),
])

DECK_SLIDES = [
    {"title": "Project Kestrel: Launch Plan", "body": ["Aozora Precision, Boston and Osaka", "Board review, 14 April 2026"],
     "notes": ["Presented by Hanako Yamada and Tom Becker. Keep the intro under two minutes."]},
    {"title": "Why warehouse picking",
     "body": ["Labour shortage in logistics: picking is 55% of warehouse labour cost",
              "Customers want arms that fit existing shelving, not new buildings",
              "Kestrel KR-7: 7 kg payload, 620 picks per hour, USD 48,000"]},
    {"title": "Timeline to launch",
     "table": [["Milestone", "Date", "Owner"], ["Gripper v2 drawings frozen", "2026-03-20", "Mei Lin"],
               ["HM-40 servo samples qualified", "2026-04-15", "Daniel Okafor"],
               ["Northwind Freight pilot starts", "2026-05-29", "Tom Becker"],
               ["ISO 10218 file submitted", "2026-07-01", "Daniel Okafor"], ["Launch, first 20 units", "2026-08-17", "Hanako Yamada"]],
     "notes": ["The pilot moved from June to May 29 at Northwind's request; the Q3 launch date is unchanged.",
               "Decision from the March 2 design review."]},
    {"title": "Sales targets",
     "body": ["FY2026: 120 units, USD 5.8 million revenue from Kestrel",
              "Northwind Freight: letter of intent for 40 units after a successful pilot",
              "Two more logistics customers in the pipeline for Q4"],
     "notes": ["Tom: be careful with the Northwind number, the LOI is conditional on pilot KPIs (600 picks/hour, 99.5% accuracy)."]},
    {"title": "Risks and decisions",
     "body": ["Risk: Hokuto Motors lead time for HM-40 servos is 10 weeks",
              "Decision: buffer of 60 HM-40 servos ordered (about JPY 4.2 million)",
              "Decision: dual-source the joint encoders",
              "Risk: safety certification slipping past July"],
     "notes": ["Kenji Sato approved the servo buffer on March 3. Ask the board to note the encoder decision."]},
]

INTRANET_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Aozora Intranet - News: Boston office moves to Summer Street</title>
<meta name="author" content="Facilities Boston">
<meta name="date" content="2026-02-20">
<meta name="description" content="Office move, new lab space and Osaka line upgrade">
<style>body { font-family: sans-serif } nav { float: left }</style>
<script>window.dataLayer = []; function track() { return "tracking code should never be indexed"; }</script>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/people">People</a> | <a href="/it">IT help</a></nav>
<header><p>Aozora Precision intranet</p></header>
<main>
<h1>Company news</h1>
<article>
<h2>Boston office moves to Summer Street</h2>
<p>Our Boston team moves to <b>200 Summer Street, 5th floor</b> on <time>March 2, 2026</time>.
The new office has a 120 m&sup2; demo lab where customers can watch the Kestrel arm pick
from real warehouse totes. Tom Becker's sales team and the support engineers move first;
the demo lab opens on March 16.</p>
<p>Parking permits for the old building at 48 Pier Road expire on February 27.</p>
</article>
<article>
<h2>Osaka line 3 upgrade</h2>
<p>Assembly line 3 in Osaka gets a new torque-test station in April. During the upgrade,
line 3 runs a single shift (07:00&ndash;15:00). Production of the KR-5 arm continues on line 2.</p>
<h3>Who to ask</h3>
<ul><li>Line leader: Ryo Tanaka</li><li>Safety: Mei Lin</li></ul>
</article>
<article>
<h2>Lunch &amp; learn</h2>
<p>Daniel Okafor presents the Kestrel gripper v2 on Friday, March 13, at 12:00 Boston time
(Saturday 02:00 in Osaka; a recording will be posted).</p>
<table><tr><th>Session</th><th>Speaker</th></tr><tr><td>Gripper v2</td><td>Daniel Okafor</td></tr>
<tr><td>Servo supply</td><td>Kenji Sato</td></tr></table>
</article>
</main>
<footer><p>&copy; 2026 Aozora Precision</p></footer>
</body>
</html>
"""

MEMO_TXT = """MEMO

To:      All Kestrel team members
From:    Daniel Okafor, CTO
Date:    March 4, 2026
Subject: Servo supply decision for Kestrel

After the design review on March 2 we looked again at the drive train supply.

Hokuto Motors stays our primary supplier for the HM-40 and HM-25 servos. Their quality
record on the KR-5 has been excellent (0.3% returns in 2025), but their lead time for the
HM-40 has grown from six to ten weeks.

Decisions:

1. Kenji Sato has approved a buffer stock of 60 HM-40 servos, about JPY 4.2 million. The
   order went to Hokuto Motors on March 3 and delivery is expected in mid-May.
2. We will qualify a second encoder supplier by April 30, so that no single supplier can stop
   the line. Mei Lin leads the qualification.
3. The Northwind Freight pilot starts on May 29 as agreed with Tom Becker; the Q3 launch date
   (August 17) does not move.

If the buffer stock is not in Osaka by May 15, tell me at once: the pilot would then run with
the lab arms.

Daniel
"""

POLICY_PAGES = [
    [("h", "Aozora Precision - Travel and Security Policy"),
     ("p", "Policy AP-POL-007, effective April 1, 2026. Approved by Hanako Yamada, CEO, and Kenji Sato, CFO. "
           "This policy applies to all employees of Aozora Precision in Osaka and Boston and to contractors "
           "travelling on company business."),
     ("h", "1. Booking travel"),
     ("p", "All flights, trains and hotels are booked through the travel desk at least 14 days before departure. "
           "Economy class is the standard for flights under 6 hours. For flights over 6 hours, such as Osaka to "
           "Boston, premium economy may be booked. Business class needs approval by the CFO."),
     ("p", "Trips to customers such as Northwind Freight are charged to the customer project code, for example "
           "KES-NWF for the Kestrel pilot in Columbus.")],
    [("h", "2. Per-diem rates"),
     ("p", "Meals and incidentals are paid as a per diem, without receipts. The rate for the United States is "
           "USD 75 per day; for Japan it is JPY 8,000 per day; for other countries the travel desk publishes the "
           "rate. Hotel costs are reimbursed up to USD 250 per night in Boston and JPY 18,000 per night in Tokyo "
           "and Osaka."),
     ("p", "Alcohol is not reimbursed except at customer dinners approved in advance by a director."),
     ("h", "3. Devices abroad"),
     ("p", "Take only company laptops with full-disk encryption. Do not carry Kestrel design files on USB sticks. "
           "When crossing borders, keep devices switched off. Report a lost or stolen device to IT security "
           "within one hour, by phone: +81 6 0000 2199 (Osaka) or +1 617 000 4199 (Boston).")],
    [("h", "4. Information security"),
     ("p", "Design documents, source code and customer warehouse layouts are classified CONFIDENTIAL. They are "
           "shared only through the company document system, never by personal e-mail or chat apps. Access is "
           "reviewed every quarter by each project lead."),
     ("p", "Passwords must be at least 14 characters and unique. Multi-factor authentication is required for the "
           "VPN, e-mail and the document system."),
     ("h", "5. Exceptions"),
     ("p", "Exceptions to this policy need written approval from the CFO, Kenji Sato. Breaches are reported to "
           "People Operations and may lead to disciplinary action."),
     ("p", "Next review of this policy: March 2027.")],
]

# ---------------------------------------------------------------------------
# Content: samples/finance/
# ---------------------------------------------------------------------------

BUDGET_ROWS = [["Department", "Q1", "Q2", "Q3", "Q4", "Total (JPY thousand)"]]
_budget = [("Engineering (Osaka)", [62000, 64000, 71000, 66000]),
           ("Kestrel R&D", [48000, 52000, 58000, 52000]),
           ("Manufacturing", [91000, 94000, 120000, 125000]),
           ("Sales and marketing (Boston)", [28000, 30000, 46000, 38000]),
           ("Kestrel launch campaign", [0, 6000, 24000, 8000]),
           ("General and administrative", [21000, 21000, 22000, 22000])]
for i, (dept, q) in enumerate(_budget, start=2):
    BUDGET_ROWS.append([dept] + q + [("=SUM(B%d:E%d)" % (i, i), sum(q))])
_n = len(BUDGET_ROWS)
BUDGET_ROWS.append(["Total"] + [("=SUM(%s2:%s%d)" % (c, c, _n), sum(r[1][k] for r in _budget)) for k, c in enumerate("BCDE")] +
                   [("=SUM(F2:F%d)" % _n, sum(sum(r[1]) for r in _budget))])
BUDGET_ROWS.append([])
BUDGET_ROWS.append(["Note", "Approved by the board on 2026-02-18. Kestrel R&D total JPY 210 million; launch campaign JPY 38 million."])
BUDGET_ROWS.append(["Board approval", datetime.date(2026, 2, 18)])
BUDGET_ROWS.append(["Mid-year review", datetime.date(2026, 7, 22)])

HEADCOUNT_ROWS = [["Department", "Osaka", "Boston", "Total", "Open positions"],
                  ["Engineering", 46, 9, ("=B2+C2", 55), 4],
                  ["Manufacturing", 72, 0, ("=B3+C3", 72), 6],
                  ["Sales and support", 8, 14, ("=B4+C4", 22), 3],
                  ["Administration", 12, 5, ("=B5+C5", 17), 0],
                  ["Total", ("=SUM(B2:B5)", 138), ("=SUM(C2:C5)", 28), ("=SUM(D2:D5)", 166), ("=SUM(E2:E5)", 13)]]

PO_CSV = """PO number,Date,Supplier,Item,Quantity,Unit price (JPY),Total (JPY),Approved by
PO-2026-0117,2026-01-12,Hokuto Motors,HM-25 servo,80,52000,4160000,Kenji Sato
PO-2026-0142,2026-02-03,Kansai Castings,Base casting KR-7 (rev B),30,38500,1155000,Daniel Okafor
PO-2026-0151,2026-02-16,Tohoku Encoders,Absolute encoder AE-19,120,9800,1176000,Daniel Okafor
PO-2026-0163,2026-03-03,Hokuto Motors,HM-40 servo (buffer stock),60,70000,4200000,Kenji Sato
PO-2026-0171,2026-03-10,Shinwa Rubber,"Finger pad, silicone, shore 40A",500,420,210000,Mei Lin
PO-2026-0188,2026-03-24,Bay State Fixtures,"Demo lab fit-out, 200 Summer Street",1,2350000,2350000,Kenji Sato
PO-2026-0192,2026-04-02,Minato Electric,Controller board CB-7,40,61000,2440000,Daniel Okafor
PO-2026-0205,2026-04-20,Tohoku Encoders,"Absolute encoder AE-19 (second source trial)",20,11200,224000,Mei Lin
"""

REPORT_PAGES = [
    [("h", "Aozora Precision - Quarterly Report, Q2 FY2026"),
     ("p", "Quarter ended June 30, 2026. Prepared by Kenji Sato, CFO, for the board meeting of July 22, 2026. "
           "All figures in Japanese yen unless stated otherwise; unaudited."),
     ("h", "Highlights"),
     ("p", "Revenue for the quarter was JPY 1,840 million, up 12% from Q2 FY2025. Operating income was JPY 175 "
           "million, an operating margin of 9.5%. Order intake reached JPY 2,260 million, driven by KR-5 arms for "
           "automotive suppliers and the first Kestrel pre-orders."),
     ("p", "The Kestrel pilot at Northwind Freight's Columbus distribution centre started on May 29 and reached "
           "612 picks per hour with 99.6% accuracy in its fourth week, above the 600 picks per hour target of the "
           "letter of intent.")],
    [("h", "Revenue by region"),
     ("p", "Japan: JPY 1,020 million (55%). North America: JPY 690 million (38%), of which Boston-led sales of "
           "USD 4.6 million. Rest of world: JPY 130 million (7%)."),
     ("h", "Costs and investment"),
     ("p", "Kestrel R&D spending was JPY 52 million in the quarter, JPY 100 million in the first half, in line "
           "with the FY2026 budget of JPY 210 million. The servo buffer stock of 60 HM-40 units from Hokuto "
           "Motors (JPY 4.2 million) arrived on May 12. The Boston demo lab at 200 Summer Street cost JPY 2.35 "
           "million."),
     ("p", "Headcount at the end of the quarter: 166 (138 in Osaka, 28 in Boston), with 13 open positions.")],
    [("h", "Outlook"),
     ("p", "We confirm the Kestrel launch on August 17, 2026, with 20 units shipping at launch. Full-year revenue "
           "guidance is unchanged at JPY 7,400 million. The main risks are servo lead times from Hokuto Motors and "
           "the ISO 10218 certification schedule (file submitted July 1)."),
     ("h", "Decisions requested from the board"),
     ("p", "1. Approve an additional JPY 24 million for the Kestrel launch campaign in Q3. "
           "2. Approve the second encoder supplier, Tohoku Encoders, after the trial order PO-2026-0205.")],
]

# ---------------------------------------------------------------------------
# Content: samples/ja/
# ---------------------------------------------------------------------------

SHUGYO_SJIS = """株式会社青空精機　就業規則（抜粋）

制定　2019年4月1日
改定　2026年4月1日

第1章　総則

第1条（目的）
この規則は、株式会社青空精機（以下「会社」という。）の従業員の労働条件および服務規律を定めるものである。大阪本社およびボストン事務所のすべての従業員に適用する。

第2章　勤務

第2条（勤務時間）
所定労働時間は1日8時間とし、始業は午前9時、終業は午後6時とする。休憩は正午から午後1時までの1時間とする。
コアタイムは午前10時から午後3時までとし、フレックスタイム制を適用する。

第3条（工場の交替勤務）
大阪工場の組立ラインは、早番（午前7時〜午後3時）と遅番（午後3時〜午後11時）の2交替制とする。

第3章　休暇

第4条（年次有給休暇）
会社は、毎年4月1日に正社員に対して年次有給休暇20日を付与する。未使用の休暇は10日を限度として翌年度に繰り越すことができる。

第5条（病気休暇）
病気休暇は年10日までとし、連続3日を超える場合は医師の診断書を提出する。

第4章　在宅勤務

第6条（在宅勤務）
入社後3か月を経過した従業員は、週3日まで在宅勤務をすることができる。社外からの接続には必ず会社のVPNを使用する。

第5章　経費

第7条（経費精算）
1件7万5千円を超える購入は事前に上長の承認を要する。75万円を超える場合は、さらに最高財務責任者（佐藤健二）の承認を要する。

附則
この規則は2026年4月1日から施行する。　代表取締役社長　山田花子
"""

MEMO_EUCJP = """会議メモ　Kestrel 定例会議

日時：2026年5月12日（火）10:00〜11:00
場所：大阪本社　第2会議室（ボストンとビデオ会議）
出席：山田花子（社長）、Daniel Okafor（CTO）、佐藤健二（CFO）、Mei Lin（技術）、Tom Becker（営業）

1. 北斗モーター（Hokuto Motors）の納期
HM-40 サーボの納期は10週間のまま。バッファ在庫60台は本日大阪に到着した。
決定：北斗モーターを主要サプライヤーとして継続する。

2. エンコーダの二社購買
東北エンコーダの試作品20個（発注番号 PO-2026-0205）を評価中。4月30日の期限には間に合わなかったが、5月末までに評価を終える。担当：Mei Lin。

3. Northwind Freight パイロット
パイロットは5月29日にコロンバス物流センターで開始する。目標は毎時600ピック、精度99.5%。
Tom Becker が先方と最終日程を確認済み。

4. 発売日
発売日は2026年8月17日（第3四半期）で変更なし。初回出荷は20台。

宿題：
・佐藤：第3四半期の販促予算2,400万円の追加を取締役会に提案する。
・Okafor：ISO 10218 の認証書類を7月1日までに提出する。

次回：2026年5月26日
"""

SPEC_UTF16 = """製品仕様概要　Kestrel KR-7

用途：物流倉庫におけるピッキング作業
可搬質量：7 kg
リーチ：1,150 mm
繰り返し位置精度：±0.02 mm
ピッキング速度：毎時620個（グリッパ v2、社内試験）
本体質量：38 kg
保護等級：IP54（手首部 IP67）
サーボ：関節1〜3 北斗モーター HM-40、関節4〜6 HM-25
安全規格：ISO 10218-1 準拠（認証申請 2026年7月1日）
標準価格：720万円（税別、コントローラ込み）
発売予定：2026年8月17日
"""

JA_HANDBOOK_MD = """# 社員ハンドブック

株式会社青空精機へようこそ。このハンドブックは大阪本社とボストン事務所の全社員向けの案内です。

## 会社について

青空精機は2009年に大阪で創業した精密ロボットアームのメーカーです。代表取締役社長は山田花子、CTO は Daniel Okafor、CFO は佐藤健二です。主力製品は組立用の KR-5 と、2026年8月に発売する倉庫ピッキング用の Kestrel KR-7 です。

## 働き方

### 勤務時間

コアタイムは10時から15時です。工場の組立ラインは2交替制で、早番は7時に始まります。

### 在宅勤務

入社3か月後から週3日まで在宅勤務ができます。試作機を扱う技術者は、実験室の日程をチームリーダーと調整してください。

## 休暇

年次有給休暇は毎年4月1日に20日付与されます。繰り越しは10日までです。病気休暇は年10日です。育児休業は最長12か月で、最初の8週間は会社が給与を全額支給します。

## 経費

経費は30日以内に領収書を添えて申請してください。7万5千円を超える購入には上長の事前承認が、75万円を超える場合は佐藤 CFO の承認も必要です。

## 問い合わせ

人事部（大阪）内線2100。ボストンの総務は内線4100です。
"""

JA_SPEC_DOCX_BODY = "".join([
    docx_p("Kestrel KR-7 製品仕様書", "a"),
    docx_p("文書番号 AP-SPEC-0042-J　改訂C　2026年4月2日　作成：技術部"),
    docx_p("概要", "1"),
    docx_p("Kestrel KR-7 は物流倉庫向けの6軸ピッキングロボットです。トートや棚から多品種の商品を取り出し、出荷箱に詰めます。"
           "2026年5月29日から Northwind Freight 社のコロンバス物流センターでパイロット運用を行い、2026年8月17日に発売します。"),
    docx_p("機械仕様", "1"),
    docx_p("可搬質量とリーチ", "2"),
    docx_p("定格可搬質量は7 kg、リーチは1,150 mm、繰り返し位置精度は±0.02 mmです。"),
    docx_table([["項目", "仕様", "備考"], ["可搬質量", "7 kg", "リーチ1,150 mm時"], ["ピッキング速度", "毎時620個", "グリッパ v2"],
                ["保護等級", "IP54", "手首部 IP67"]]),
    docx_p("駆動系", "2"),
    docx_p("関節1〜3には北斗モーター製 HM-40 サーボ、関節4〜6には HM-25 を使用します。HM-40 の納期は10週間のため、60台のバッファ在庫を持ちます。"),
    docx_p("価格", "1"),
    docx_p("標準価格は720万円（税別、コントローラ込み）です。保守契約は年額72万円です。"),
])


def main():
    # docs/
    write("samples/docs/employee-handbook.md", HANDBOOK_MD)
    write("samples/docs/kestrel-kr7-spec.docx",
          make_docx(SPEC_BODY, "Kestrel KR-7 Product Specification", "Daniel Okafor", "2026-04-02T09:00:00Z",
                    subject="Kestrel", keywords="Kestrel; KR-7; specification; warehouse picking"))
    write("samples/docs/kestrel-launch-deck.pptx",
          make_pptx(DECK_SLIDES, "Project Kestrel Launch Plan", "Tom Becker", "2026-04-14T01:00:00Z"))
    write("samples/docs/intranet-news.html", INTRANET_HTML)
    write("samples/docs/memo-servo-supply.txt", MEMO_TXT)
    write("samples/docs/travel-security-policy.pdf",
          make_pdf(POLICY_PAGES, {"title": "Travel and Security Policy", "author": "Kenji Sato",
                                  "subject": "Policy AP-POL-007", "date": "D:20260401090000+09'00'"},
                   "AP-POL-007 Travel and Security Policy"))
    # finance/
    write("samples/finance/budget-fy2026.xlsx",
          make_xlsx([("Budget FY2026", BUDGET_ROWS), ("Headcount", HEADCOUNT_ROWS)],
                    "FY2026 Budget", "Kenji Sato", "2026-02-18T08:00:00Z"))
    write("samples/finance/purchase-orders-2026.csv", PO_CSV)
    write("samples/finance/q2-fy2026-quarterly-report.pdf",
          make_pdf(REPORT_PAGES, {"title": "Quarterly Report Q2 FY2026", "author": "Kenji Sato",
                                  "subject": "Aozora Precision quarterly results", "date": "D:20260715090000+09'00'"},
                   "Aozora Precision Q2 FY2026"))
    # ja/
    write("samples/ja/shugyo-kisoku-sjis.txt", SHUGYO_SJIS.replace("\n", "\r\n").encode("cp932"))
    write("samples/ja/kaigi-memo-2026-05-12-eucjp.txt", MEMO_EUCJP.encode("euc_jp"))
    write("samples/ja/seihin-shiyo-utf16.txt", b"\xff\xfe" + SPEC_UTF16.encode("utf-16-le"))
    write("samples/ja/shain-handbook.md", JA_HANDBOOK_MD)
    write("samples/ja/kestrel-shiyosho.docx",
          make_docx(JA_SPEC_DOCX_BODY, "Kestrel KR-7 製品仕様書", "技術部", "2026-04-02T09:00:00+09:00",
                    heading_ids=("a", "1", "2")))
    # test input, not demo content: an encrypted PDF (user password "kestrel")
    write("fuzz/corpus/pdf/encrypted-rc4.pdf",
          make_pdf([[("h", "Confidential"), ("p", "Salary bands for 2026.")]],
                   {"title": "Salary bands", "author": "People Operations", "date": "D:20260301090000+09'00'"},
                   "Confidential", user_password="kestrel"))


if __name__ == "__main__":
    main()
