"""steepest.machine: what a recorded benchmark says about the machine it ran on."""

from __future__ import annotations

import json

import threadpoolctl  # a dependency of steepest, so these tests never skip

from steepest.machine import (
    MACHINE_KEYS,
    blas_label,
    cpu_model,
    describe_machine,
    thread_pools,
)


def test_cpu_model_reads_the_model_name_line(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\n"
                       "model name\t: AMD EPYC 7B13 64-Core Processor\nflags\t\t: fpu\n")
    assert cpu_model(cpuinfo) == "AMD EPYC 7B13 64-Core Processor"


def test_cpu_model_without_a_model_name_falls_back_instead_of_failing(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_bytes(b"processor\t: 0\n\xff\xfe garbage\n")
    assert isinstance(cpu_model(cpuinfo), str) and cpu_model(cpuinfo)


def test_describe_machine_names_numpys_blas_kernel_as_threadpoolctl_does():
    m = describe_machine()
    assert set(m) == set(MACHINE_KEYS)
    expected = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert expected, "NumPy loaded no BLAS that threadpoolctl can see"
    assert [(p["internal_api"], p["architecture"], p["version"], p["num_threads"])
            for p in m["blas"]] == [(p["internal_api"], p.get("architecture"), p["version"],
                                     p["num_threads"]) for p in expected]
    assert all("filepath" not in p for p in m["blas"])  # no user's paths in a committed file
    json.dumps(m)  # it goes into a JSON file as it is


def test_describe_machine_records_blas_environment_variables(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Zen")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    env = describe_machine()["blas_env"]
    assert env["OPENBLAS_CORETYPE"] == "Zen"
    assert "OPENBLAS_L2_SIZE" not in env


def test_thread_pools_follow_threadpool_limits():
    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        assert all(p["num_threads"] == 1 for p in thread_pools() if p["user_api"] == "blas")


def test_blas_label_joins_api_version_and_kernel():
    machine = {"blas": [{"internal_api": "openblas", "version": "0.3.31",
                         "architecture": "SkylakeX", "num_threads": 2}]}
    assert blas_label(machine) == "openblas 0.3.31 SkylakeX"
    assert blas_label({"blas": [{"internal_api": "mkl", "version": "2024.1",
                                 "architecture": None}]}) == "mkl 2024.1"
