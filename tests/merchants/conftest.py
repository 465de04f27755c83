import pytest

from tests.merchants.receiver import running_receiver


@pytest.fixture
def receiver():
    """A real HTTP receiver on 127.0.0.1 for webhook deliveries."""
    with running_receiver() as receiver:
        yield receiver


@pytest.fixture
def tls_receiver():
    """The same receiver over HTTPS, with a test-only self-signed certificate."""
    with running_receiver(tls=True) as receiver:
        yield receiver
