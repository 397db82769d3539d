"""Optional LLM paths: the coordinator's second opinion and the specialists' note tailoring.

The offline default never imports this package's model code path; an LLM is chosen per run with
`Context.model = "openai:<model>"` against any OpenAI-compatible endpoint.
"""
