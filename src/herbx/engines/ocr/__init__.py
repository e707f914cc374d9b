"""The offline ``ocr`` engine: RapidOCR plus a rule-based Darwin Core label parser.

Example::

    from herbx.engines.ocr import OcrEngine, load_image

    engine = OcrEngine()
    result = engine.extract(load_image("sheet.jpg"))
    print(result.terms, result.raw_text)
"""

from herbx.engines.ocr.engine import OcrEngine, load_image
from herbx.engines.ocr.layout import OcrLine
from herbx.engines.ocr.names import NameList, NameMatch
from herbx.engines.ocr.parser import PARSER_VERSION, LabelParser, ParsedLabel, parse_lines

__all__ = [
    "PARSER_VERSION",
    "LabelParser",
    "NameList",
    "NameMatch",
    "OcrEngine",
    "OcrLine",
    "ParsedLabel",
    "load_image",
    "parse_lines",
]
