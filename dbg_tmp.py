import sys; sys.path.insert(0, ".")
import asyncio
from assistant.config import load_settings
from assistant.findings.codebook import load_codebook
from assistant.report import *
from assistant.report.redaction import Redactor
from tests.report_scripts import scripted
from tests.report_fakes import ScriptedReportModel
class R(Redactor):
    def __init__(self): pass
    def redact(self, text, language="fr"):
        from assistant.report.redaction import Redaction
        return Redaction(text)
s = scripted(120, english_every=0)
inputs = ReportInputs(interviews=s.interviews, findings=s.findings, profiles=s.profiles)
settings = load_settings(data_dir="/tmp/terrain-smoke", prompt_token_budget=700)
m = ScriptedReportModel(foreign_ids=["f-not-a-finding", "f0000-care"])
report = asyncio.run(build_report(inputs, settings, m, codebook=load_codebook(), redactor=R()))
print(report.narratives)
for p in m.prompts[:60]:
    print("=====", p[-600:])
