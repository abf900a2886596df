"""Jobs of the fake Cloudgene server: states, step messages, result files (spec 4.4, 7).

A job only changes state when told to (``FakeJob.set_state``, driven by the server's control
endpoints or its optional auto-advance), so tests are deterministic. Result files are real: a
QC report, an HTML report, an exclusion list, and ``chr_20.zip`` encrypted with the job's
password (ZipCrypto by default, WinZip AES-256 with ``aesEncryption``) holding small bgzipped
VCFs as minimac4 would write them.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakes.cloudgene_catalog import APP_NAME, APP_VERSION, Panel
from tests.fakes.zipcrypto import Member, write_aes, write_zipcrypto

MAX_DOWNLOADS = 10
PASSWORD_SYMBOLS = "!@#%&*()_+[]{};:.<>?-="
RUNNING = (1, 2, 3)


def now_ms() -> int:
    return int(time.time() * 1000)


def random_password() -> str:
    """imputationserver2's PasswordCreator: 5 upper, 5 lower, 2 digits, 2 symbols, shuffled."""
    chars = (
        [secrets.choice(string.ascii_uppercase) for _ in range(5)]
        + [secrets.choice(string.ascii_lowercase) for _ in range(5)]
        + [secrets.choice(string.digits) for _ in range(2)]
        + [secrets.choice(PASSWORD_SYMBOLS) for _ in range(2)]
    )
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def readable_size(size: int) -> str:
    """Cloudgene's rendering of a file size: "39 KB", "2 GB"."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.0f} GB"


@dataclass
class Download:
    name: str
    path: Path
    hash: str
    count: int = MAX_DOWNLOADS


@dataclass
class FakeJob:
    id: str
    name: str
    username: str
    application_id: str
    params: dict[str, str]
    panel: Panel | None
    password: str
    workdir: Path
    user_agent: str = ""
    state: int = 1
    submitted_on: int = field(default_factory=now_ms)
    start_time: int = 0
    end_time: int = 0
    deleted_on: int = -1
    changed_at: float = field(default_factory=time.monotonic)
    reached: int = 1  # the furthest normal state (1..4) the job got to
    failure: str | None = None  # "qc" or "pipeline" once failed
    send_mail: bool = False  # the Summary then names an e-mail address instead of the password
    encryption: str | None = None  # override: "aes" or "zipcrypto"
    extra_members: list[str] = field(default_factory=list)
    downloads: list[Download] = field(default_factory=list)
    param_hash: str = field(
        default_factory=lambda: "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(40)
        )
    )

    @property
    def mode(self) -> str:
        return self.params.get("mode", "imputation")

    @property
    def aes(self) -> bool:
        if self.encryption is not None:
            return self.encryption == "aes"
        return self.params.get("aesEncryption") == "true"

    # --- lifecycle ------------------------------------------------------------------------

    def set_state(self, state: int, *, failure: str = "pipeline", send_mail: bool = False) -> None:
        self.changed_at = time.monotonic()
        if state in (2, 3, 4):
            self.reached = max(self.reached, state)
            self.start_time = self.start_time or now_ms()
        if state in (3, 4) or (state in (5, 9) and failure == "qc"):
            self.write_results(final=state == 4)
        if state == 5:
            self.failure = failure
        if state in (4, 5, 6, -1) and not self.end_time:
            self.end_time = now_ms()
        if state in (8, 9):
            self.deleted_on = now_ms() + 2 * 24 * 3600 * 1000
        if state == 7:
            # Retired: files deleted, downloads then fail with 404 (spec 4.4, 4.7).
            self.deleted_on = now_ms() - 1000
            shutil.rmtree(self.workdir / "output", ignore_errors=True)
        self.state = state
        self.send_mail = send_mail

    # --- results --------------------------------------------------------------------------

    def contig(self) -> str:
        return "chr20" if self.panel is not None and self.panel.build == "hg38" else "20"

    def write_results(self, *, final: bool) -> None:
        out = self.workdir / "output"
        (out / "statistics").mkdir(parents=True, exist_ok=True)
        files: dict[str, bytes] = {
            "qc_report.txt": (
                b"::group type=message::\nCalculating QC Statistics\n::endgroup::\n"
                b"::group type=warning::\nExcluded sites in total: 3\nRemaining sites in total: 5\n"
                b"::endgroup::\n"
            ),
            "quality-control.html": b"<!DOCTYPE html>\n<html><head><title>Quality Control Report</title></head><body><h1>QC</h1></body></html>\n",
            "statistics/snps-excluded.txt": b"#Position\tFilterType\tInfo\n20:61795\tStrand flip\tRef:G Alt:T\n",
        }
        for name, data in files.items():
            (out / name).write_bytes(data)
        if final and self.mode == "imputation" and self.failure is None:
            self.write_archive()
        self.register_downloads()

    def write_archive(self) -> None:
        from tests.fakes.vcf import bgzipped_dose_vcf, bgzipped_info

        contig = self.contig()
        members = [
            Member(f"chr{contig.removeprefix('chr')}.dose.vcf.gz", bgzipped_dose_vcf(contig, self)),
            Member(f"chr{contig.removeprefix('chr')}.info.gz", bgzipped_info(contig)),
        ]
        members += [Member(name, b"planted by the fake server\n") for name in self.extra_members]
        archive = self.workdir / "output" / "chr_20.zip"
        # Cloudgene HTML-escapes submitted values; the escaped text is the zip password.
        (write_aes if self.aes else write_zipcrypto)(archive, members, self.password)

    def register_downloads(self) -> None:
        out = self.workdir / "output"
        known = {d.name for d in self.downloads}
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            name = path.relative_to(out).as_posix()
            if name not in known:
                self.downloads.append(
                    Download(name, path, hashlib.sha256(secrets.token_bytes(32)).hexdigest())
                )

    # --- JSON -----------------------------------------------------------------------------

    def steps(self) -> list[dict[str, Any]]:
        if (self.reached < 2 and self.state != 5) or (self.state == 5 and self.panel is None):
            return []  # waiting, or failed before it ever ran (unknown panel)
        t = self.start_time or now_ms()

        def message(text: str, type_: int) -> dict[str, Any]:
            return {"success": True, "message": text, "type": type_, "time": t}

        validation = [message(self._validation_text(), 0)]
        qc_failed = self.failure == "qc"
        qc = [
            message("Calculating QC Statistics", 0),
            message(
                "<b>Statistics:</b> <br>Alternative allele frequency > 0.5 sites: 0<br>Reference Overlap: 99.20 %<br>Match: 5<br>Allele switch: 0<br>Strand flip: 1<br>Strand flip and allele switch: 0<br>A/T, C/G genotypes: 0<br>Filtered sites:<br>Filter flag set: 0<br>Invalid alleles: 0<br>Multiallelic sites: 0<br>Duplicated sites: 0<br>NonSNP sites: 0<br>Monomorphic sites: 2<br>Allele mismatch: 0<br>SNPs call rate < 90%: 0",
                0,
            ),
        ]
        excluded = "Excluded sites in total: 3<br>Remaining sites in total: 5<br>See snps-excluded.txt for details<br>Typed only sites: 0"
        if qc_failed:
            qc.append(
                message(
                    excluded
                    + "<br><b>Error:</b> More than 100 obvious strand flips have been detected. Please check strand. Imputation cannot be started!",
                    1,
                )
            )
        else:
            qc.append(message(excluded, 2))
        imputation: list[dict[str, Any]] = []
        if self.mode == "imputation" and not qc_failed:
            phasing = {"eagle": "Eagle", "beagle": "Beagle"}.get(
                self.params.get("phasing", "eagle")
            )
            if phasing:
                imputation.append(message(self._bar(f"Phasing with {phasing}", 1, 1), 0))
            done = self.reached >= 3
            imputation.append(
                message(self._bar("Imputation", 1 if done else 0, 1), 0 if done else 3)
            )
            if self.reached >= 3:
                finished = self.reached >= 4
                imputation.append(
                    message(
                        self._bar("Compression and Encryption", 1 if finished else 0, 1),
                        0 if finished else 3,
                    )
                )
        summary: list[dict[str, Any]] = []
        if self.state in (4, 7, 8):
            if self.send_mail:
                summary.append(
                    message(
                        "Data have been exported successfully. We have sent a notification email to <b>alice@example.org</b>",
                        0,
                    )
                )
            else:
                summary.append(
                    message(
                        f"Data have been exported successfully. We encrypted the results with the following password: <b>{self.password}</b>",
                        0,
                    )
                )
        elif self.state in (5, 9):
            summary += [
                message("Pipeline execution failed.", 1),
                message("Imputation job failed.", 1),
            ]
        elif self.state == 6:
            summary += [
                message("Pipeline execution canceled.", 1),
                message("Imputation job canceled.", 1),
            ]
        groups = [
            ("Input Validation", validation),
            ("Quality Control", qc),
            ("Phasing and Imputation", imputation),
            ("Summary", summary),
        ]
        return [
            {"id": i + 1, "name": name, "empty": not messages, "logMessages": messages}
            for i, (name, messages) in enumerate(groups)
        ]

    @staticmethod
    def _bar(label: str, done: int, total: int) -> str:
        width = int(100 * done / total)
        active = "" if done == total else " progress-striped active"
        return f'<b>{label} ({done}/{total})</b><br><div class="progress{active}"><div class="bar" style="width: {width}%"></div></div>'

    def _validation_text(self) -> str:
        panel = f"{self.panel.id} ({self.panel.build})" if self.panel else "?"
        lines = [
            "1 valid VCF file(s) found.",
            "",
            "Samples: 3",
            "Chromosomes: 20",
            "SNPs: 8",
            "Chunks: 1",
            "Datatype: unphased",
            f"Build: {self.params.get('build', 'hg19')}",
            f"Reference Panel: {panel}",
            f"Population: {self.params.get('population', 'off')}",
            f"Phasing: {self.params.get('phasing', 'eagle')}",
            f"Mode: {self.mode}",
        ]
        if self.params.get("r2Filter", "0") not in ("0", ""):
            lines.append(f"Rsq filter: {self.params['r2Filter']}")
        return "\n".join(lines)

    def output_params(self) -> list[dict[str, Any]]:
        if not self.downloads:
            return []
        files = [
            {
                "name": d.name,
                "path": f"{self.id}/output/{d.name}",
                "hash": d.hash,
                "count": d.count,
                "size": readable_size(d.path.stat().st_size) if d.path.exists() else "0 B",
                "parameterId": 0,
                "user": None,
            }
            for d in self.downloads
        ]
        return [
            {
                "id": 1,
                "description": "Downloads",
                "value": f"{self.id}/output",
                "type": None,
                "download": True,
                "name": "output",
                "tree": [
                    {
                        "name": f["name"],
                        "path": f"/browse/{self.param_hash}/{f['name']}",
                        "hash": f["hash"],
                        "size": f["size"],
                        "folder": False,
                        "childs": [],
                    }
                    for f in files
                ],
                "job": None,
                "jobId": self.id,
                "autoExport": False,
                "hash": self.param_hash,
                "files": files,
            }
        ]

    def to_json(self, *, position: int, details: bool = True) -> dict[str, Any]:
        finished = self.state not in RUNNING
        return {
            "id": self.id,
            "name": self.name,
            "application": f"{APP_NAME} {APP_VERSION}",
            "applicationId": self.application_id,
            "state": self.state,
            "positionInQueue": position,
            "submittedOn": self.submitted_on,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "currentTime": now_ms(),
            "deletedOn": self.deleted_on,
            "userAgent": self.user_agent,
            "username": self.username,
            "logs": "",
            "workspaceSize": None,
            "steps": self.steps() if details or not finished else [],
            "outputParams": self.output_params() if details or not finished else [],
        }

    def log_text(self) -> str:
        return (
            f"job.txt:\n\n{time.strftime('%d/%m/%Y %H:%M:%S')} Job {self.id} submitted by {self.username}.\n"
            f"{time.strftime('%d/%m/%Y %H:%M:%S')} Job state: {self.state}\n\n"
            "std.out:\n\nN E X T F L O W  ~  version 24.04.4\nLaunching `main.nf` [fake_run]\n"
        )
