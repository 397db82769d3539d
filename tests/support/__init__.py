"""Test doubles shared by the test modules: the fake OpenAI server, the scripted chat model, cassettes."""
