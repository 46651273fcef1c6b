"""publisher/store/light.py's Core tables name real columns, with the models' types."""

from __future__ import annotations

import pytest
from sqlalchemy.sql.expression import TableClause

from publisher.store import light
from publisher.store.models import Base


@pytest.mark.parametrize("light_table", [light.interviews, light.speakers],
                         ids=lambda t: t.name)
def test_each_column_is_the_models_column(light_table: TableClause) -> None:
    real = Base.metadata.tables[light_table.name]
    for col in light_table.columns:
        assert col.name in real.columns, f"{light_table.name}.{col.name} does not exist"
        assert type(col.type) is type(real.columns[col.name].type), col.name
