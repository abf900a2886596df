"""WES answers as every observed server sends them (specs/wes.md): parsed, never refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from genoflow_desktop.core.domain import JobState
from genoflow_desktop.core.jobs.backend import RemoteOutput
from genoflow_desktop.core.services.wes.models import (
    LogRef,
    RunLog,
    ServiceInfo,
    map_state,
    parse_outputs,
    parse_time,
)

WES_SERVICE_INFO = {
    "workflow_type_versions": {"CWL": {"workflow_type_version": ["v1.0", "v1.1", "v1.2"]}},
    "supported_wes_versions": ["0.3.0", "1.0.0"],
    "supported_filesystem_protocols": ["file", "http", "https"],
    "workflow_engine_versions": {"cwl-runner": "b''"},
    "system_state_counts": {},
    "tags": {},
}
TOIL_SERVICE_INFO = {
    "version": "9.6.0",
    "workflow_type_versions": {
        "cwl": {"workflow_type_version": ["v1.0", "v1.1", "v1.2"]},
        "wdl": {"workflow_type_version": ["draft-2", "1.0"]},
        "py": {"workflow_type_version": ["3.11"]},
    },
    "supported_wes_versions": ["1.0.0"],
    "workflow_engine_versions": {"toil": "9.6.0"},
}
SAPPORO_SERVICE_INFO = {
    "id": "sapporo-service",
    "name": "sapporo-service",
    "version": "2.4.0",
    "workflow_type_versions": {"CWL": {"workflow_type_version": ["v1.0", "v1.1", "v1.2"]}},
    "supported_wes_versions": ["sapporo-wes-2.1.0"],
    "workflow_engine_versions": {
        "cwltool": {"workflow_engine_version": ["3.3.20260925135507"]},
        "nextflow": {"workflow_engine_version": ["26.10.0"]},
    },
    "auth_instructions_url": "https://github.com/sapporo-wes/sapporo-service/blob/main/README.md",
}


def test_service_info_wes_1_0_engine_form() -> None:
    info = ServiceInfo.from_json(WES_SERVICE_INFO)
    assert info.engine_form == "1.0"
    assert info.engines == {"cwl-runner": ("b''",)}
    assert info.type_versions("CWL") == ("v1.0", "v1.1", "v1.2")
    assert info.supported_wes_versions == ("0.3.0", "1.0.0")
    assert info.auth_instructions_url is None
    assert info.name is None


def test_service_info_lower_case_types_match_any_case() -> None:
    info = ServiceInfo.from_json(TOIL_SERVICE_INFO)
    assert info.type_versions("CWL") == ("v1.0", "v1.1", "v1.2")
    assert info.type_versions("cwl") == ("v1.0", "v1.1", "v1.2")
    assert info.type_versions("Wdl") == ("draft-2", "1.0")
    assert info.type_versions("NFL") is None
    assert info.engines == {"toil": ("9.6.0",)}
    assert info.engine_form == "1.0"
    assert info.version == "9.6.0"


def test_service_info_wes_1_1_engine_form() -> None:
    info = ServiceInfo.from_json(SAPPORO_SERVICE_INFO)
    assert info.engine_form == "1.1"
    assert info.engines == {
        "cwltool": ("3.3.20260925135507",),
        "nextflow": ("26.10.0",),
    }
    assert info.default_engine() == "cwltool"
    assert info.supported_wes_versions == ("sapporo-wes-2.1.0",)
    assert info.auth_instructions_url is not None
    assert (info.name, info.version) == ("sapporo-service", "2.4.0")


def test_service_info_without_engines() -> None:
    info = ServiceInfo.from_json({"workflow_type_versions": {"CWL": {}}})
    assert info.engine_form is None
    assert info.default_engine() is None
    assert info.type_versions("cwl") == ()  # offered, with no version list


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("QUEUED", JobState.QUEUED),
        ("INITIALIZING", JobState.QUEUED),
        ("RUNNING", JobState.RUNNING),
        ("PAUSED", JobState.RUNNING),
        ("CANCELING", JobState.RUNNING),
        ("UNKNOWN", JobState.RUNNING),
        ("DELETING", JobState.RUNNING),  # sapporo's own, not final
        ("SOMETHING_NEW", JobState.RUNNING),
        ("COMPLETE", JobState.COMPLETED),
        ("EXECUTOR_ERROR", JobState.FAILED),
        ("SYSTEM_ERROR", JobState.FAILED),
        ("PREEMPTED", JobState.FAILED),
        ("CANCELED", JobState.CANCELED),
        ("DELETED", JobState.CANCELED),
        ("complete", JobState.COMPLETED),
    ],
)
def test_state_mapping(remote: str, expected: JobState) -> None:
    assert map_state(remote) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-02T03:04:05Z", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2026-01-02T03:04:05.250000", datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=UTC)),
        ("2026-01-02T05:04:05+02:00", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("", None),
        ("   ", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    assert parse_time(text) == expected


def test_outputs_cwl_object_file_locations() -> None:
    outputs = {
        "summary": {
            "class": "File",
            "location": "file:///srv/wes/workflows/abc/outdir/summary.txt",
            "path": "/srv/wes/workflows/abc/outdir/summary.txt",
            "basename": "summary.txt",
            "size": 42,
            "checksum": "sha1$0123",
        },
        "report": {
            "class": "File",
            "location": "https://wes.example.org/files/report.html",
            "size": 7,
        },
        "line_count": 12,  # a scalar output: not a file
        "label": "done",
    }
    assert parse_outputs(outputs) == (
        RemoteOutput(
            name="summary.txt",
            url=None,
            size=42,
            checksum="sha1$0123",
            location="file:///srv/wes/workflows/abc/outdir/summary.txt",
        ),
        RemoteOutput(
            name="report.html",
            url="https://wes.example.org/files/report.html",
            size=7,
            location="https://wes.example.org/files/report.html",
        ),
    )


def test_outputs_arrays_records_directories_secondary_files() -> None:
    outputs = {
        "per_chrom": [
            {"class": "File", "location": "http://h/a/chr1.vcf.gz", "basename": "chr1.vcf.gz"},
            {
                "class": "File",
                "location": "http://h/a/chr2.vcf.gz",
                "secondaryFiles": [{"class": "File", "location": "http://h/a/chr2.vcf.gz.tbi"}],
            },
        ],
        "qc": {
            "stats": {"class": "File", "location": "http://h/qc/stats.txt"},
            "plots": {
                "class": "Directory",
                "location": "http://h/qc/plots",
                "listing": [{"class": "File", "location": "http://h/qc/plots/depth.png"}],
            },
        },
        "workdir": {"class": "Directory", "location": "file:///srv/run/work", "basename": "work"},
        "nothing": None,
    }
    names = [(o.name, o.url, o.location) for o in parse_outputs(outputs)]
    assert names == [
        ("chr1.vcf.gz", "http://h/a/chr1.vcf.gz", "http://h/a/chr1.vcf.gz"),
        ("chr2.vcf.gz", "http://h/a/chr2.vcf.gz", "http://h/a/chr2.vcf.gz"),
        ("chr2.vcf.gz.tbi", "http://h/a/chr2.vcf.gz.tbi", "http://h/a/chr2.vcf.gz.tbi"),
        ("stats.txt", "http://h/qc/stats.txt", "http://h/qc/stats.txt"),
        ("depth.png", "http://h/qc/plots/depth.png", "http://h/qc/plots/depth.png"),
        ("work", None, "file:///srv/run/work"),  # a bare directory: shown, not fetched
    ]


def test_outputs_with_the_same_basename_are_all_kept() -> None:
    outputs = {
        "a": {"class": "File", "location": "http://h/1/out.txt"},
        "b": [
            {"class": "File", "location": "http://h/2/out.txt"},
            {"class": "File", "location": "http://h/3/out.txt"},
        ],
    }
    assert [(o.name, o.url) for o in parse_outputs(outputs)] == [
        ("out.txt", "http://h/1/out.txt"),
        ("b/out.txt", "http://h/2/out.txt"),
        ("b/2/out.txt", "http://h/3/out.txt"),
    ]


def test_outputs_sapporo_list() -> None:
    base = "http://127.0.0.1:1122/ga4gh/wes/v1/runs/5a9c"
    outputs = [
        {"file_name": "summary.txt", "file_url": f"{base}/outputs/summary.txt"},
        {"file_name": "sub/counts.tsv", "file_url": f"{base}/outputs/sub/counts.tsv"},
    ]
    assert parse_outputs(outputs) == (
        RemoteOutput(
            name="summary.txt",
            url=f"{base}/outputs/summary.txt",
            location=f"{base}/outputs/summary.txt",
        ),
        RemoteOutput(
            name="sub/counts.tsv",
            url=f"{base}/outputs/sub/counts.tsv",
            location=f"{base}/outputs/sub/counts.tsv",
        ),
    )


@pytest.mark.parametrize("empty", [None, {}, [], "", 0])
def test_no_outputs(empty: object) -> None:
    assert parse_outputs(empty) == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://h/logs/1/stderr", LogRef(url="http://h/logs/1/stderr")),
        ("https://h/logs/1/stderr", LogRef(url="https://h/logs/1/stderr")),
        (
            "../../../../toil/wes/v1/logs/run-1/stderr",
            LogRef(url="../../../../toil/wes/v1/logs/run-1/stderr"),
        ),
        ("/logs/run-1/stderr", LogRef(url="/logs/run-1/stderr")),
        (
            "INFO [job count] completed success\n",
            LogRef(text="INFO [job count] completed success\n"),
        ),
        ("http://h/x is down\nretrying", LogRef(text="http://h/x is down\nretrying")),
        ("", LogRef()),
        (None, LogRef()),
        (["not", "text"], LogRef()),
    ],
)
def test_log_references(value: object, expected: LogRef) -> None:
    assert LogRef.from_json(value) == expected


def test_run_log_from_the_three_servers_shapes() -> None:
    toil = RunLog.from_json(
        "run-1",
        {
            "run_id": "run-1",
            "state": "EXECUTOR_ERROR",
            "run_log": {
                "cmd": ["toil-cwl-runner wf.cwl"],
                "start_time": "2026-01-02T03:04:05",
                "end_time": "2026-01-02T03:04:15",
                "stdout": "../../../../toil/wes/v1/logs/run-1/stdout",
                "stderr": "../../../../toil/wes/v1/logs/run-1/stderr",
                "exit_code": 1,
            },
            "task_logs": [{"name": "count", "exit_code": 1}],
            "outputs": {},
        },
    )
    assert toil.state == "EXECUTOR_ERROR"
    assert toil.exit_code == 1
    assert toil.stderr.url == "../../../../toil/wes/v1/logs/run-1/stderr"
    assert toil.start_time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    wes_service = RunLog.from_json(
        "abc",
        {"run_id": "abc", "state": "COMPLETE", "run_log": {"start_time": "", "stderr": "INFO x"}},
    )
    assert wes_service.start_time is None
    assert wes_service.stderr == LogRef(text="INFO x")
    assert wes_service.stdout == LogRef()

    broken = RunLog.from_json("x", {"run_log": None, "task_logs": None})
    assert (broken.run_id, broken.state, broken.outputs) == ("x", "UNKNOWN", ())
