"""Self-tests of the environment variable checks of the backend stand-in
against upstream's crates/common/src/types/environment_variables.rs.
Run: python3 -m unittest -q test_env (in tests/e2e/standins/backend)."""

import os
import unittest
from unittest import mock

from standin import routes


def error(release, name, value="v"):
    with mock.patch.dict(os.environ, {"CONVEX_STANDIN_RELEASE_DATE": release}):
        e = routes._env_change_error(name, value)
    return None if e is None else e.code


class EnvLimits(unittest.TestCase):
    def test_names(self):
        self.assertIsNone(error("2026-06-26", "JWT_PRIVATE_KEY"))
        self.assertEqual(error("2026-06-26", "1ABC"), "EnvironmentVariableNameInvalid")
        self.assertEqual(error("2026-06-26", "A-B"), "EnvironmentVariableNameInvalid")

    def test_name_length_by_release(self):
        self.assertIsNone(error("2026-06-26", "A" * 256))
        self.assertEqual(error("2026-06-26", "A" * 257), "EnvironmentVariableNameTooLong")
        self.assertIsNone(error("2026-03-24", "A" * 40))
        self.assertEqual(error("2026-03-24", "A" * 41), "EnvironmentVariableNameTooLong")

    def test_value_size(self):
        self.assertIsNone(error("2026-06-26", "V", "x" * 8192))
        self.assertEqual(error("2026-06-26", "V", "x" * 8193), "EnvironmentVariableValueTooLarge")
        # Bytes, not characters.
        self.assertEqual(error("2026-06-26", "V", "é" * 4097), "EnvironmentVariableValueTooLarge")
        self.assertIsNone(error("2026-06-26", "V", None))


if __name__ == "__main__":
    unittest.main()
