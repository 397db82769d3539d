"""`helpdesk serve` settings: offline flags, tracing only when configured, a port that must be free."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from graph.cli import app
from graph.cli.serve import port_is_free, server_environment


def test_offline_flags_and_tracing_off_unless_fully_configured() -> None:
    env = server_environment({}, None)
    assert env["LANGGRAPH_CLI_NO_ANALYTICS"] == "1"
    assert env["LANGGRAPH_NO_VERSION_CHECK"] == "true"
    assert env["LANGSMITH_TRACING"] == "false"
    assert "HELPDESK_STORE" not in env
    assert server_environment({"LANGSMITH_TRACING": "true"}, None)["LANGSMITH_TRACING"] == "false"
    configured = server_environment({"LANGSMITH_TRACING": "true", "LANGSMITH_API_KEY": "k"}, "sqlite:///x.db")
    assert "LANGSMITH_TRACING" not in configured
    assert configured["HELPDESK_STORE"] == "sqlite:///x.db"


def test_taken_port_fails_clearly() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        result = CliRunner().invoke(app, ["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output
    assert port_is_free("127.0.0.1", port)


def test_studio_mode_refuses_a_public_interface() -> None:
    result = CliRunner().invoke(app, ["serve", "--studio", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2
    assert "127.0.0.1 only" in result.output
