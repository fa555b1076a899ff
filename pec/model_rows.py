"""Rows into models for the selects pages run on every request (pec.database.Prepared),
as peewee's own cursor wrappers make them, in less time (issue 16).

peewee builds each row's model by calling the model's constructor, which assigns every
column through the field's descriptor, then clears the "changed" marks those
assignments left (`ModelObjectCursorWrapper.process_row`, `ModelCursorWrapper.
process_row`). For a field whose descriptor only stores the value, that is the same as
filling the instance's `__data__` directly, which takes a third of the time: some 5 % of
a member page. The joined models are attached exactly as peewee attaches them, from the
layout peewee worked out for the query (its wrapper's `initialize()`).

`builder()` says None for anything it does not reproduce exactly (a column that is not a
plain field, a select into dicts or tuples): Prepared then keeps peewee's own path. With
`CHECK` on (the tests turn it on), every row built here is also built by peewee from the
same values, and any difference is an error.
"""

from peewee import (
    Field,
    FieldAccessor,
    ForeignKeyAccessor,
    ForeignKeyField,
    IntegerField,
    ModelCursorWrapper,
    ModelObjectCursorWrapper,
    TextField,
)

# Descriptors whose assignment, on a model just built, only stores the value: peewee's
# plain one, and its foreign key's (given an id, it also drops a cached related row, which
# a new instance has not got). A descriptor of ours says so with `stores_as_read = True`
# when, given what its column's converter returns, it only stores it too.
_STORING = (FieldAccessor, ForeignKeyAccessor)

CHECK = False


def builder(wrapper):
    """A function from a query's fetched rows to what iterating `wrapper` over them gives,
    once `wrapper` is initialized; None when this module cannot build them the same way."""
    if type(wrapper) is ModelObjectCursorWrapper:
        return _single(wrapper)
    if type(wrapper) is ModelCursorWrapper:
        return _joined(wrapper)
    return None


def _stores(model, name: str, convert) -> bool:
    """Whether assigning this column's value (after `convert`, None for none) to a new
    instance only stores it."""
    kind = type(model.__dict__.get(name))
    return name in model._meta.fields and (
        kind in _STORING or (convert is not None and getattr(kind, "stores_as_read", False))
    )


# peewee converts every column it reads, through two calls (`python_value`, `adapt`),
# even when the database already gave the value its field holds: an integer column's
# int, a text column's str, as SQLite and psycopg both give them. Converting those gives
# the same value back, so a row here stores them as they come (a list page reads some
# 150 of them) and converts the rest.
_NO_TYPES = frozenset()


def _kept_types(convert) -> frozenset:
    """The types of value that `convert` (a field's `python_value`) gives back unchanged:
    None and int for peewee's integer fields, None and str for its text fields, nothing
    for any other converter (a subclass's own, dates, enums)."""
    field = getattr(convert, "__self__", None)
    if not isinstance(field, Field) or convert.__func__ is not type(field).python_value:
        return _NO_TYPES
    kind = type(field)
    if kind.python_value is ForeignKeyField.python_value:  # the id of the related row
        return _kept_types(field.rel_field.python_value)
    if kind.python_value is not Field.python_value:
        return _NO_TYPES
    if kind.adapt is IntegerField.adapt:
        return frozenset({int, type(None)})
    if kind.adapt is TextField.adapt:  # CharField's too
        return frozenset({str, type(None)})
    return _NO_TYPES


def _new(model):
    instance = model.__new__(model)
    instance.__data__ = {}
    instance._dirty = set()
    instance.__rel__ = {}
    return instance


def _single(wrapper):
    """`Model.select(...)` without joined models."""
    model, columns = wrapper.constructor, wrapper.unique_columns
    converters = wrapper.converters
    if not wrapper.is_model or not all(
        _stores(model, column, converters[i]) for i, column in enumerate(columns)
    ):
        return None
    plain = [(i, columns[i]) for i in wrapper.no_convert]
    converted = [
        (i, columns[i], converters[i], _kept_types(converters[i])) for i in wrapper.convert
    ]

    def build(rows) -> list:
        built = []
        for row in rows:
            instance = _new(model)
            data = instance.__data__
            for i, column in plain:
                data[column] = row[i]
            for i, column, convert, kept in converted:
                value = row[i]
                data[column] = value if type(value) in kept else convert(value)
            built.append(instance)
        return built

    return build


def _joined(wrapper):
    """`Model.select(Model, Other).join(Other, ...)`: peewee's `ModelCursorWrapper.
    process_row`, with each column stored straight into its model's `__data__`."""
    constructors = wrapper._constructor_list
    if not all(is_model for _key, _model, is_model in constructors):
        return None
    model_of = {key: model for key, model, _is_model in constructors}
    columns = []
    for i, key, column, convert in wrapper._row_spec:
        # As peewee: a column of a model not among the query's goes to the root model's
        # instance, and counts as set under its own key.
        owner = key if key in model_of else wrapper.model
        if not _stores(model_of[owner], column, convert):
            return None
        kept = _NO_TYPES if convert is None else _kept_types(convert)
        columns.append((i, key, owner, column, convert, kept))
    joins, reachable, root = wrapper.src_to_dest, wrapper._dest_reachable, wrapper.model

    def build(rows) -> list:
        built = []
        for row in rows:
            objects = {key: _new(model) for key, model in model_of.items()}
            set_keys = set()
            for i, key, owner, column, convert, kept in columns:
                value = row[i]
                if value is not None:
                    set_keys.add(key)
                if convert is not None and type(value) not in kept:
                    value = convert(value)
                objects[owner].__data__[column] = value
            for src, attr, dest, _is_dict, is_outer, is_fk in joins:
                # peewee's rules, in its order: a joined model none of whose columns
                # (nor any further along the join) has a value is not attached, or is
                # None on an outer join.
                instance, joined = objects.get(src), objects.get(dest)
                if joined is None and dest not in objects:
                    continue
                further = dest in reachable and bool(reachable[dest] & set_keys)
                if dest not in set_keys and not further:
                    if not is_outer:
                        continue
                    joined = None
                if src not in set_keys and dest not in set_keys and is_outer:
                    continue
                if is_fk and joined is None:
                    instance.__rel__[attr] = None  # known to be absent, the id kept
                else:
                    setattr(instance, attr, joined)
            for instance in objects.values():
                instance._dirty.clear()
            built.append(objects[root])
        return built

    return build


def checked(build, query, description):
    """`build`, also comparing every row it makes with what peewee makes of it."""

    def check(rows) -> list:
        ours = build(rows)
        theirs = list(query._get_cursor_wrapper(_Fetched(description, rows)))
        for mine, peewee_s in zip(ours, theirs, strict=True):
            difference = _difference(mine, peewee_s)
            if difference:
                raise AssertionError(f"row built unlike peewee's: {difference}")
        return ours

    return check


class _Fetched:
    """Fetched rows, read back as a cursor would give them."""

    def __init__(self, description, rows):
        self.description = description
        self._rows = iter(rows)

    def fetchone(self):
        return next(self._rows, None)

    def close(self):
        pass


def _difference(mine, theirs, path="row") -> str:
    if type(mine) is not type(theirs):
        return f"{path}: {type(mine).__name__} is not {type(theirs).__name__}"
    if not hasattr(theirs, "__data__"):
        return "" if mine == theirs else f"{path}: {mine!r} != {theirs!r}"
    for name in ("__data__", "_dirty"):
        if getattr(mine, name) != getattr(theirs, name):
            return f"{path}.{name}: {getattr(mine, name)!r} != {getattr(theirs, name)!r}"
    for field, value in theirs.__data__.items():
        # A StrEnum member equals its text, and True equals 1: the types must match too.
        if type(mine.__data__[field]) is not type(value):
            return f"{path}.{field}: {mine.__data__[field]!r} is not {value!r}"
    if set(vars(mine)) != set(vars(theirs)) or mine.__rel__.keys() != theirs.__rel__.keys():
        return f"{path}: attributes {sorted(vars(mine))} != {sorted(vars(theirs))}"
    for attr, related in theirs.__rel__.items():
        difference = _difference(mine.__rel__[attr], related, f"{path}.{attr}")
        if difference:
            return difference
    return ""
