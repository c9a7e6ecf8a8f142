"""The vulnerabilities the demo images carry: real CVE identifiers in packages a Python image
on Debian really has, with severities and fixed versions as Trivy reported them (a small,
fixed pool; which image has which is drawn from the seed)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["POOL", "Vuln"]


@dataclass(frozen=True)
class Vuln:
    id: str
    package: str
    installed: str
    fixed: str  # "" when there is no fix
    severity: str
    title: str
    lang: bool = False  # a Python package (the "Python" result), else an OS package

    @property
    def url(self) -> str:
        return f"https://avd.aquasec.com/nvd/{self.id.lower()}"


POOL: tuple[Vuln, ...] = (
    Vuln(
        "CVE-2023-45853",
        "zlib1g",
        "1:1.2.13.dfsg-1",
        "",
        "CRITICAL",
        "zlib: integer overflow and resultant heap-based buffer overflow in zipOpenNewFileInZip4_6",
    ),
    Vuln(
        "CVE-2024-6345",
        "setuptools",
        "65.5.1",
        "70.0.0",
        "HIGH",
        "pypa/setuptools: Remote code execution via download functions in package_index",
        True,
    ),
    Vuln(
        "CVE-2024-47874",
        "starlette",
        "0.37.2",
        "0.40.0",
        "HIGH",
        "starlette: Starlette Denial of service (DoS) via multipart/form-data",
        True,
    ),
    Vuln(
        "CVE-2024-26130",
        "cryptography",
        "41.0.7",
        "42.0.4",
        "HIGH",
        "cryptography: NULL pointer dereference in pkcs12.serialize_key_and_certificates",
        True,
    ),
    Vuln(
        "CVE-2023-4911",
        "libc6",
        "2.36-9+deb12u1",
        "2.36-9+deb12u3",
        "HIGH",
        "glibc: buffer overflow in ld.so leading to privilege escalation",
    ),
    Vuln(
        "CVE-2024-2961",
        "libc6",
        "2.36-9+deb12u4",
        "2.36-9+deb12u7",
        "HIGH",
        "glibc: Out of bounds write in iconv may lead to remote code execution",
    ),
    Vuln(
        "CVE-2023-50782",
        "cryptography",
        "41.0.7",
        "42.0.0",
        "HIGH",
        "python-cryptography: Bleichenbacher timing oracle attack against RSA decryption",
        True,
    ),
    Vuln(
        "CVE-2024-0727",
        "libssl3",
        "3.0.11-1~deb12u2",
        "3.0.13-1~deb12u1",
        "MEDIUM",
        "openssl: denial of service via null dereference",
    ),
    Vuln(
        "CVE-2024-37891",
        "urllib3",
        "2.0.7",
        "2.2.2",
        "MEDIUM",
        "urllib3: proxy-authorization request header is not stripped during cross-origin redirects",
        True,
    ),
    Vuln(
        "CVE-2024-35195",
        "requests",
        "2.31.0",
        "2.32.0",
        "MEDIUM",
        "requests: subsequent requests to the same host ignore cert verification",
        True,
    ),
    Vuln(
        "CVE-2024-3651",
        "idna",
        "3.6",
        "3.7",
        "MEDIUM",
        "python-idna: potential DoS via resource consumption via specially crafted inputs",
        True,
    ),
    Vuln(
        "CVE-2023-5678",
        "libssl3",
        "3.0.11-1~deb12u2",
        "",
        "MEDIUM",
        "openssl: Generating excessively long X9.42 DH keys or checking them may be slow",
    ),
    Vuln(
        "CVE-2024-6119",
        "openssl",
        "3.0.11-1~deb12u2",
        "3.0.14-1~deb12u2",
        "MEDIUM",
        "openssl: Possible denial of service in X.509 name checks",
    ),
    Vuln(
        "CVE-2023-5752",
        "pip",
        "23.0.1",
        "23.3",
        "LOW",
        "pip: Mercurial configuration injectable in repo revision when installing via pip",
        True,
    ),
    Vuln(
        "CVE-2011-3374",
        "apt",
        "2.6.1",
        "",
        "LOW",
        "It was found that apt-key in apt, all versions, do not correctly validate gpg keys",
    ),
    Vuln(
        "CVE-2022-0563",
        "util-linux",
        "2.38.1-5+b1",
        "",
        "LOW",
        "util-linux: partial disclosure of arbitrary files in chfn and chsh when compiled",
    ),
    Vuln(
        "CVE-2019-18276",
        "bash",
        "5.2.15-2+b2",
        "",
        "LOW",
        "bash: when effective UID is not equal to its real UID the saved UID is not dropped",
    ),
    Vuln(
        "CVE-2023-31484",
        "perl-base",
        "5.36.0-7+deb12u1",
        "",
        "HIGH",
        "perl: CPAN.pm does not verify TLS certificates when downloading distributions",
    ),
    Vuln(
        "TEMP-0841856-B18BAF",
        "bash",
        "5.2.15-2+b2",
        "",
        "UNKNOWN",
        "[Privilege escalation possible to other user than root]",
    ),
    Vuln(
        "CVE-2024-5535",
        "libssl3",
        "3.0.11-1~deb12u2",
        "3.0.14-1~deb12u1",
        "LOW",
        "openssl: SSL_select_next_proto buffer overread",
    ),
)
