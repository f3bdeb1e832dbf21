"""TLS to the master, through a TLS-terminating proxy on loopback (the embedded master has no SSL):
certificates are verified by default, a given CA is trusted, a client certificate is presented
when asked, and a wrong host name or an untrusted CA is refused."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from frameworkkit import Framework, TaskSpec, TaskState, TransportOptions
from frameworkkit.testing import EmbeddedCluster
from frameworkkit.transport import RetriesExhausted
from tests.integration.tcp_proxy import CuttableProxy

NOW = datetime.datetime.now(datetime.timezone.utc)


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path


def _write(
    directory: Path, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Issued:
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(cert_path, key_path)


class Authority:
    """A throwaway certificate authority made for one test module."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            self._builder(self.name, self.key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.issued = _write(directory, name, self.cert, self.key)

    def issue(self, name: str, *, dns: str | None = None, ip: str | None = None) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        names: list[x509.GeneralName] = []
        if dns:
            names.append(x509.DNSName(dns))
        if ip:
            names.append(x509.IPAddress(ipaddress.ip_address(ip)))
        builder = self._builder(subject, key.public_key())
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return _write(self.directory, name, builder.sign(self.key, hashes.SHA256()), key)

    def _builder(
        self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey
    ) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(hours=1))
            .not_valid_after(NOW + datetime.timedelta(days=1))
        )


@dataclass(frozen=True)
class TlsSetup:
    ca: Authority
    other_ca: Authority
    client: Issued
    plain_port: int  # TLS, no client certificate asked
    mutual_port: int  # TLS, a client certificate from ``ca`` required


@pytest.fixture(scope="module")
def tls(
    mesos_cluster: EmbeddedCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsSetup]:
    directory = tmp_path_factory.mktemp("tls")
    ca, other = Authority(directory, "test-ca"), Authority(directory, "other-ca")
    server = ca.issue("master", dns="localhost")
    client = ca.issue("framework")
    plain = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    plain.load_cert_chain(server.cert, server.key)
    mutual = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    mutual.load_cert_chain(server.cert, server.key)
    mutual.verify_mode = ssl.CERT_REQUIRED
    mutual.load_verify_locations(ca.issued.cert)
    target = ("127.0.0.1", mesos_cluster.port)
    with CuttableProxy(*target, tls=plain) as one, CuttableProxy(*target, tls=mutual) as two:
        yield TlsSetup(ca, other, client, one.port, two.port)


def run_one_task(url: str, options: TransportOptions, state: Path) -> TaskState:
    fw = Framework(url, state_dir=state, options=options)
    task = fw.submit(TaskSpec(name="over-tls", command="true"))
    fw.run(timeout=60)
    return task.state


def test_a_given_ca_bundle_is_trusted(tls: TlsSetup, tmp_path: Path) -> None:
    options = TransportOptions(ca_bundle=tls.ca.issued.cert)
    assert (
        run_one_task(f"https://localhost:{tls.plain_port}", options, tmp_path)
        is TaskState.TASK_FINISHED
    )


def test_a_client_certificate_is_presented_when_the_server_asks(
    tls: TlsSetup, tmp_path: Path
) -> None:
    options = TransportOptions(
        ca_bundle=tls.ca.issued.cert, client_cert=tls.client.cert, client_key=tls.client.key
    )
    url = f"https://localhost:{tls.mutual_port}"
    assert run_one_task(url, options, tmp_path / "with") is TaskState.TASK_FINISHED
    without = TransportOptions(ca_bundle=tls.ca.issued.cert, subscribe_attempts=1)
    with pytest.raises(RetriesExhausted):
        run_one_task(url, without, tmp_path / "without")


@pytest.mark.parametrize(
    ("host", "bundle", "why"),
    [
        ("localhost", None, "CERTIFICATE_VERIFY_FAILED"),  # verified by default: not trusted
        ("localhost", "other", "CERTIFICATE_VERIFY_FAILED"),  # an untrusted CA
        ("127.0.0.1", "ours", "CERTIFICATE_VERIFY_FAILED"),  # a name the certificate lacks
    ],
    ids=["default-verification", "untrusted-ca", "wrong-host-name"],
)
def test_an_untrusted_or_mismatched_certificate_is_refused(
    tls: TlsSetup, tmp_path: Path, host: str, bundle: str | None, why: str
) -> None:
    ca_bundle = {None: None, "ours": tls.ca.issued.cert, "other": tls.other_ca.issued.cert}[bundle]
    options = TransportOptions(ca_bundle=ca_bundle, subscribe_attempts=1)
    with pytest.raises(RetriesExhausted) as refused:
        run_one_task(f"https://{host}:{tls.plain_port}", options, tmp_path)
    assert why in str(refused.value)
