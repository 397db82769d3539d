"""Private devices, lines and accounts: found in five languages, and handed to a person unless the
desk supports them (`Context.support_private_devices`)."""

from __future__ import annotations

import pytest

from graph.context import Context
from tests.test_specialists import run, state_for
from tools.knowledge.private import private_device, request


@pytest.mark.parametrize(
    ("text", "marker"),
    [
        ("Personal iPhone screen\nCan you replace the cracked screen on my personal iPhone?", "Personal iPhone"),
        ("Home Wi-Fi\nMy home Wi-Fi router keeps restarting every evening and the kids cannot stream.", "home"),
        ("Xbox\nMy son's Xbox will not connect to the internet, error 0x8007.", "son's Xbox"),
        ("Privater Laptop\nMein privater Laptop startet seit gestern nicht mehr.", "Privater Laptop"),
        ("Drucker\nMein Drucker zu Hause druckt nur noch leere Seiten.", "Drucker zu Hause"),
        ("\nMi impresora de casa no imprime desde ayer, sale un error de conexión.", "impresora de casa"),
        ("Ordi\nBonjour, mon ordinateur perso est très lent depuis une mise à jour.", "ordinateur perso"),
        ("Notebook\nMeu notebook particular não liga mais, a luz pisca laranja.", "notebook particular"),
        ("Gmail\nNo puedo entrar en mi correo personal de Gmail, dice contraseña incorrecta.", "correo personal"),
    ],
)
def test_a_private_device_in_the_request_is_found(text: str, marker: str) -> None:
    found = private_device(text)
    assert found is not None and marker.lower() in found.lower(), found


@pytest.mark.parametrize(
    "text",
    [
        # a work link anywhere in the ticket: the company's problem, wherever the device is
        "VPN from home\nWorking from home and the company VPN drops on my personal laptop every 10 minutes.",
        "Drucker zu Hause\nDer Drucker zu Hause, den ich von der Firma bekommen habe, zieht kein Papier ein.",
        "La impresora de casa se atasca\nLa HP que me mandasteis para casa se atasca con cada hoja.",
        "Casque\nMon téléphone personnel ne voit plus le casque fourni par l'entreprise.",
        "New phone\nUpgraded my personal phone and now Teams keeps asking me to verify my sign-in.",
        # a private device named only as a comparison, a workaround or a contact
        "Laptop repair\nMy laptop screen is broken. Please call me on my private mobile to arrange it.",
        "Notebook sem rede\nO notebook não pega IP no cabo. O computador do meu marido no mesmo cabo funciona.",
        "Bluescreen\nSeit dem Update startet mein Laptop mit einem Bluescreen. Am privaten Rechner geht alles.",
        # 'personal' as staff, 'Pessoal' as a greeting
        "Impresora\nLa impresora de la planta 2 no imprime para el personal de recepción.",
        "Wi-Fi da loja\nPessoal, a loja está sem internet desde as 14h e o roteador pisca vermelho.",
    ],
)
def test_work_links_comparisons_and_look_alike_words_do_not_count(text: str) -> None:
    assert private_device(text) is None, private_device(text)


def test_the_request_is_the_subject_and_the_first_full_sentence() -> None:
    text = "Laptop\nHi there,\nMy laptop will not charge. It works on my wife's charger."
    assert request(text) == "Laptop\nMy laptop will not charge."


PRIVATE_LAPTOP = ("Privater Laptop startet nicht", "Mein privater Laptop startet nicht mehr, die Power-LED bleibt aus.")


def test_an_internal_desk_hands_a_private_device_to_a_person() -> None:
    out = run("Maya", state_for(*PRIVATE_LAPTOP))["specialist"]
    assert out["outcome"] == "hand_back" and out["check"] == "private_device"


def test_a_desk_that_supports_private_devices_treats_them_like_company_ones() -> None:
    out = run("Maya", state_for(*PRIVATE_LAPTOP), Context(model="local", support_private_devices=True))
    assert out["specialist"]["outcome"] != "hand_back", out["specialist"]["why"]
    assert out["specialist"]["check"] != "private_device"


def test_the_setting_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_SUPPORT_PRIVATE_DEVICES", "true")
    assert Context().support_private_devices is True
