"""Fake credentials planted in the samples. Real in shape, obviously fake in value."""

# Anthropic: sk-ant-api03- + 93 url-safe chars + "AA" (the shape of a real key).
ANTHROPIC_KEY = "sk-ant-api03-" + "FAKE-sample-key-do-not-use" + "0123456789abcdefghij" * 3 + "EXAMPLE" + "AA"
# AWS documents AKIAIOSFODNN7EXAMPLE as its example access key id.
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_KEY_ID_2 = "AKIAFAKE00SAMPLE0KEY"
# GitHub classic PAT: ghp_ + 36 alphanumerics.
GITHUB_TOKEN = "ghp_" + "FAKEsampleTOKEN" + "0" * 21
GITHUB_TOKEN_2 = "ghp_" + "EXAMPLEonlyNotReal" + "9" * 18
POSTGRES_URL = "postgresql://app:S3cr3tPass@db:5432/x"
POSTGRES_PASSWORD = "S3cr3tPass"
OPENAI_KEY = "sk-proj-" + "FAKEexampleKeyForSampleData" + "T3BlbkFJ" + "0" * 20
OPENAI_KEY_2 = "sk-proj-" + "SAMPLEnotArealKEY" + "T3BlbkFJ" + "1" * 24
OPENAI_EXPORT_LINE = f"export OPENAI_API_KEY={OPENAI_KEY}"
OPENAI_EXPORT_LINE_2 = f"export OPENAI_API_KEY={OPENAI_KEY_2}"

assert len(ANTHROPIC_KEY) == len("sk-ant-api03-") + 95, len(ANTHROPIC_KEY)
assert len(AWS_KEY_ID_2) == 20 and AWS_KEY_ID_2.isalnum() and AWS_KEY_ID_2.isupper()
assert len(GITHUB_TOKEN) == 40 and len(GITHUB_TOKEN_2) == 40
