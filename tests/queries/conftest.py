"""Fixtures for the query tests: the bundled report built once per session, both embedded
stores over it, a real endpoint on a free loopback port, and a real Oxigraph server."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from querytest_support import start_endpoint, stop_endpoint, wait_until_up
from tiltaksgraf.graph.stores import OxigraphStore, RdflibStore, Store


@pytest.fixture(scope="session")
def rdflib_store(built: Path) -> RdflibStore:
    return RdflibStore.from_build(built)


@pytest.fixture(scope="session")
def oxigraph_store(built: Path) -> Iterator[OxigraphStore]:
    store = OxigraphStore.from_build(built)
    yield store
    store.close()


@pytest.fixture(scope="session", params=["rdflib", "oxigraph"])
def store(request: pytest.FixtureRequest) -> Store:
    """Each embedded store in turn."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(scope="module")
def endpoint(oxigraph_store: OxigraphStore) -> Iterator[str]:
    """A real endpoint over the Oxigraph store on a free loopback port; yields its base URL."""
    server, thread = start_endpoint(oxigraph_store, timeout=10.0, max_rows=5000)
    try:
        yield server.url
    finally:
        stop_endpoint(server, thread)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``oxigraph serve`` (from the PyPI ``oxigraph`` package) on a free loopback port,
    querying the union of its named graphs; yields its base URL."""
    binary = shutil.which("oxigraph")
    if binary is None:
        pytest.skip("the 'oxigraph' server binary is not installed (pip install oxigraph)")
    location = tmp_path_factory.mktemp("oxigraph-server")
    port = free_port()
    log = open(location / "server.log", "wb")
    process = subprocess.Popen([binary, "serve", "--location", str(location / "data"),
                                "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/"
        try:
            wait_until_up(url + "query?query=ASK%7B%7D")
        except OSError:
            pytest.fail(f"oxigraph serve did not answer: {(location / 'server.log').read_text(errors='replace')}")
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
