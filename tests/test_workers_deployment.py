"""A worker's Deployment keeps the Apps (configuration, schedules, credentials) of the
programmes it served recently, and no more than its bound: memory stays flat however many
programmes one database holds; a programme dropped is read again from its home."""

from __future__ import annotations

from pathlib import Path

from publisher.home import Home
from publisher.workers.deployment import Deployment
from tests.helpers.workers import programme_home, programme_id


def test_a_worker_keeps_the_apps_of_the_programmes_it_served_last(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    homes = [programme_home(tmp_path, db, name) for name in ("alpha", "beta", "gamma")]
    alpha, beta, gamma = (programme_id(db, home.path.name) for home in homes)
    deployment = Deployment(Home.resolve(homes[0].path, db), kept_apps=2)
    try:
        deployment.runtime(gamma)
        deployment.runtime(beta)
        deployment.runtime(gamma)  # gamma is now the most recently served
        assert deployment.kept_programmes() == [beta, gamma]
        deployment.runtime(alpha)  # beyond the bound: beta, the least recent, is dropped
        assert deployment.kept_programmes() == [gamma, alpha]
        assert deployment.loaded_stamp(beta) is None
        assert deployment.loaded_stamp(gamma) is not None
        again = deployment.runtime(beta)  # read again from beta's home
        assert again.programme_id == beta
        assert {s.path.parent.parent for s in again.schedules.values()} == {homes[1].path}
        assert deployment.kept_programmes() == [alpha, beta]
    finally:
        deployment.close()
