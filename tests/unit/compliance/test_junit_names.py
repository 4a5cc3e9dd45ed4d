"""The runtime layer reads pytest's JUnit as make test writes it (-n 2 --dist loadgroup)."""

from __future__ import annotations

from harness.compliance import junit_outcomes

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="tests.integration.test_lifecycle" name="test_database_matches_design@main-stack"/>
<testcase classname="tests.integration.test_teardown" name="test_second_plan_is_empty@main-stack">
<failure message="drift"/></testcase>
<testcase classname="tests.unit.hcl.test_seed" name="test_x[dev]"/>
<testcase classname="tests.unit.hcl.test_seed" name="test_x[prod]"><failure message="no"/></testcase>
</testsuite></testsuites>"""


def test_grouped_and_parametrised_names_reduce_to_the_test(tmp_path):
    path = tmp_path / "tests.xml"
    path.write_text(JUNIT)
    assert junit_outcomes([path]) == {
        "tests/integration/test_lifecycle.py::test_database_matches_design": "passed",
        "tests/integration/test_teardown.py::test_second_plan_is_empty": "failed",
        "tests/unit/hcl/test_seed.py::test_x": "failed",
    }
