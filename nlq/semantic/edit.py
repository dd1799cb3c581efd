"""Changes to the semantic layer made as YAML edits, written into the layer's files
with their comments, anchors and flow style kept (ruamel.yaml round trip), so that
the change reads as a small diff in review: a synonym of a metric, dimension or term
or an alias of a dimension value (`LayerChange`), and the workbench's forms (a new
metric, term, dimension, value, relationship or segment, a metric's 口径 edited).

The new items are typed by the layer's own models (`NewTerm` is a `Term` with a
`kind`), so a form accepts exactly what the loader does. Each goes at the end of
its list in the file that already holds that list, in the style of the items
around it.

The files stay the source of truth: a change is written to a copy of the layer
first (`copy_layer`, `apply_change`), checked there, and only then copied over the
real files (`save`)."""

from __future__ import annotations

import difflib
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlglot
import yaml as pyyaml
from pydantic import BaseModel, Field, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.tokens import CommentToken
from sqlglot import exp
from sqlglot.errors import ParseError

from nlq.semantic.graph import normalise
from nlq.semantic.loader import LayerError, layer_files, load_layer
from nlq.semantic.model import (
    Aggregation,
    DerivedMetric,
    Dimension,
    Measure,
    MetricBase,
    Model,
    RatioMetric,
    Relationship,
    Segment,
    SemanticLayer,
    SimpleMetric,
    Strict,
    Term,
)

ChangeKind = Literal["value_alias", "dimension_synonym", "metric_synonym", "term_synonym"]


class EditError(Exception):
    """The change cannot be written: its target is not in the layer's files, its new
    name is taken, or the layer would no longer load with it."""


class LayerChange(BaseModel):
    """Add `word` as another way to say `target` (for a value alias: the value
    `value` of dimension `target`)."""

    kind: ChangeKind
    target: str
    word: str
    value: str | None = None


class NewSimpleMetric(MetricBase):
    """A metric aggregating a model's column or expression. The layer counts through
    measures, so this writes the measure too (named like the metric) unless the model
    already has one with the same aggregation, expression and filter."""

    kind: Literal["new_simple_metric"] = "new_simple_metric"
    model: str
    agg: Aggregation
    expr: str | None = None
    filter: str | None = None

    @model_validator(mode="after")
    def _a_measure(self) -> NewSimpleMetric:
        Measure(name=self.name, agg=self.agg, expr=self.expr, filter=self.filter)  # its own checks
        return self


class NewRatioMetric(RatioMetric):
    """numerator / denominator, two metrics of the layer (件单价 = GMV / 销量). `type`
    is defaulted: the kind already says it, a form should not have to repeat it."""

    kind: Literal["new_ratio_metric"] = "new_ratio_metric"
    type: Literal["ratio"] = "ratio"


class NewDerivedMetric(DerivedMetric):
    """An expression over metrics of the layer (`gmv - refund_amount`), `type` defaulted
    as for a ratio."""

    kind: Literal["new_derived_metric"] = "new_derived_metric"
    type: Literal["derived"] = "derived"


class EditMetric(Strict):
    """A new 口径 for a metric: its description, and for a simple metric the filter or
    the expression of what it aggregates (for a derived metric, its formula). None
    keeps a field as it is; an empty filter removes it. A simple metric's filter is
    its own where it has one, else its measure's; a measure that other metrics count
    too is not changed under them. An empty filter or description removes it."""

    kind: Literal["edit_metric"] = "edit_metric"
    metric: str
    description: str | None = None
    filter: str | None = None
    expr: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _something(self) -> EditMetric:
        if self.description is None and self.filter is None and self.expr is None:
            raise ValueError("nothing to change: give a description, a filter or an expr")
        return self


class NewValue(Strict):
    """A value of a dimension with its aliases (拼多多: [PDD]). `dimension` is a name,
    every model's dimension of that name taken (a conformed dimension), or
    `model.dimension` for one."""

    kind: Literal["new_value"] = "new_value"
    dimension: str
    value: str
    aliases: list[str] = Field(default_factory=list)

    @field_validator("value")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a value cannot be blank")
        return value.strip()

    @field_validator("aliases")
    @classmethod
    def _no_blank(cls, aliases: list[str]) -> list[str]:
        return list(dict.fromkeys(a.strip() for a in aliases if a.strip()))


class NewTerm(Term):
    """A business term: a named filter or a named time window. One with neither would
    load and mean nothing, so the form refuses it up front."""

    kind: Literal["new_term"] = "new_term"

    @model_validator(mode="after")
    def _defines_something(self) -> NewTerm:
        if not self.filters and self.last_days is None:
            raise ValueError(f"term {self.name} needs filters or last_days")
        return self


class NewDimension(Dimension):
    """A dimension of `model` (its column, `expr` left out, or an expression over it).
    The model is named because a dimension name is a model's own: the same name on
    another model is the same concept there (a conformed dimension), not a clash."""

    kind: Literal["new_dimension"] = "new_dimension"
    model: str


class NewSegment(Dimension):
    """A governed segment: a dimension of its entity model (`model`, users) computed per
    entity from the rows of `segment.facts`. The layer declares segments this way, as
    dimensions with a `segment:` block, not in a section of their own."""

    kind: Literal["new_segment"] = "new_segment"
    model: str
    segment: Segment


class NewRelationship(Relationship):
    """A join between two models, written from the many side (`from`) by default; its
    JSON is the YAML's shape (`from`, as the layer spells it)."""

    kind: Literal["new_relationship"] = "new_relationship"


NewItem = (
    NewSimpleMetric
    | NewRatioMetric
    | NewDerivedMetric
    | EditMetric
    | NewValue
    | NewTerm
    | NewDimension
    | NewSegment
    | NewRelationship
)
# Any change, told apart by its `kind` (a form's JSON parses with TypeAdapter(Change)).
Change = Annotated[LayerChange | NewItem, Field(discriminator="kind")]


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, anchors, key order and flow style survive
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long flow list
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def copy_layer(source: Path, destination: Path) -> Path:
    """A copy of the layer (a folder of YAML files, or one file) inside
    `destination`; returns the path to load it from."""
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        target = destination / source.name
        shutil.copy2(source, target)
        return target
    target = destination / source.name
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def apply_change(layer: Path, change: Change) -> list[Path]:
    """Writes `change` into the layer's files at `layer`; returns the files changed."""
    if isinstance(change, LayerChange):
        return _apply_word(layer, change)
    return _Edit(layer).apply(change)


def _apply_word(layer: Path, change: LayerChange) -> list[Path]:
    changed: list[Path] = []
    yaml = _yaml()
    for path in layer_files(layer):
        document = yaml.load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue
        if _apply(document, change):
            buffer = io.StringIO()
            yaml.dump(document, buffer)
            path.write_text(buffer.getvalue(), encoding="utf-8")
            changed.append(path)
    if not changed:
        where = f"{change.target}={change.value}" if change.value is not None else change.target
        raise EditError(f"{change.kind}: '{where}' is not in the layer at {layer}")
    return changed


def _apply(document: dict[str, Any], change: LayerChange) -> bool:
    # Lists shared through a YAML anchor (&channels) are one object: add once.
    seen: set[int] = set()
    done = False

    def add(items: Any) -> None:
        nonlocal done
        if id(items) in seen:
            done = True
            return
        seen.add(id(items))
        if change.word not in items:
            items.append(change.word)
        done = True

    if change.kind in {"value_alias", "dimension_synonym"}:
        for model in document.get("models") or []:
            for dimension in model.get("dimensions") or []:
                if dimension.get("name") != change.target:
                    continue
                if change.kind == "dimension_synonym":
                    _ensure_list(dimension, "synonyms")
                    add(dimension["synonyms"])
                    continue
                values = dimension.get("values")
                if values is None and dimension.get("values_from_data"):
                    dimension["values"] = values = {}
                if values is None or change.value is None:
                    continue
                if change.value not in values or values[change.value] is None:
                    values[change.value] = []
                add(values[change.value])
    else:
        section = "metrics" if change.kind == "metric_synonym" else "terms"
        for item in document.get(section) or []:
            if item.get("name") == change.target:
                _ensure_list(item, "synonyms")
                add(item["synonyms"])
    return done


def _ensure_list(item: Any, key: str) -> None:
    if item.get(key) is None:
        item[key] = []


# The order keys are written in, as the demo layer writes them; keys not named here
# follow in the order of the layer's model.
_METRIC_KEYS = (
    "name",
    "type",
    "measure",
    "numerator",
    "denominator",
    "expr",
    "filter",
    "format",
    "currency",
    "time",
    "label",
    "synonyms",
    "description",
)
_DIMENSION_KEYS = ("name", "expr", "type", "label", "synonyms", "description", "values_from_data", "values")
_SEGMENT_KEYS = ("facts", "entity", "rows", "population", "default_days", "features", "cases", "expr")
_TERM_KEYS = ("name", "label", "synonyms", "last_days", "filters", "description")
_MEASURE_KEYS = ("name", "agg", "expr", "filter")
# Where a section that no file holds yet is started: beside its nearest neighbour.
_NEAR = {"metrics": ("models",), "terms": ("metrics", "models"), "relationships": ("models",)}


class _Edit:
    """The layer's files read once as round-trip documents, beside the layer they
    load as: checks read the loaded layer (its sections merged across files), edits
    go to the documents, and nothing is written unless every check passed. The
    written layer must load, else its files are put back as they were."""

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            self.layer: SemanticLayer = load_layer(root)[0]
        except LayerError as error:
            raise EditError(f"the layer at {root} does not load; fix it first:\n{error}") from None
        self.yaml = _yaml()
        self.texts = {path: path.read_text(encoding="utf-8") for path in layer_files(root)}
        self.documents = {path: self.yaml.load(text) for path, text in self.texts.items()}
        self.touched: list[Path] = []

    def apply(self, change: NewItem) -> list[Path]:
        match change:
            case NewSimpleMetric():
                self._simple_metric(change)
            case NewRatioMetric():
                self._new_metric_name(change.name)
                for part in (change.numerator, change.denominator):
                    self._metric_exists(part, f"metric {change.name}")
                self._add_metric(change)
            case NewDerivedMetric():
                self._new_metric_name(change.name)
                self._formula(change.expr, change.name)
                self._add_metric(change)
            case EditMetric():
                self._edit_metric(change)
            case NewValue():
                self._new_value(change)
            case NewTerm():
                self._new_term(change)
            case NewDimension() | NewSegment():
                self._new_dimension(change)
            case NewRelationship():
                self._new_relationship(change)
        return self._write()

    # -- metrics ---------------------------------------------------------------------------
    def _new_metric_name(self, name: str) -> None:
        if self.layer.metric(name) is not None:
            raise EditError(f"metric '{name}' already exists")

    def _metric_exists(self, name: str, user: str) -> None:
        if self.layer.metric(name) is None:
            raise EditError(f"{user} refers to unknown metric '{name}'")

    def _formula(self, expr: str, name: str) -> None:
        """A derived metric's formula parses and names metrics of the layer only."""
        try:
            tree = sqlglot.parse_one(expr, read=self.layer.dialect)
        except ParseError as error:
            raise EditError(f"cannot parse '{expr}': {str(error).splitlines()[0]}") from None
        for column in tree.find_all(exp.Column):
            if column.name == name:
                raise EditError(f"metric {name} cannot be defined in terms of itself")
            self._metric_exists(column.name, f"metric {name}")

    def _sql(self, *texts: str | None) -> None:
        """Each SQL snippet parses (which columns it reads is for validation to say)."""
        for text in texts:
            if not text:
                continue
            try:
                sqlglot.parse_one(text, read=self.layer.dialect)
            except ParseError as error:
                raise EditError(f"cannot parse '{text}': {str(error).splitlines()[0]}") from None

    def _simple_metric(self, change: NewSimpleMetric) -> None:
        self._new_metric_name(change.name)
        model = self._model(change.model)
        self._sql(change.expr, change.filter)
        same = next(
            (
                m
                for m in model.measures
                if (m.agg, m.expr, m.filter) == (change.agg, change.expr, change.filter)
            ),
            None,
        )
        measure = same.name if same is not None else change.name
        if same is None:
            if model.measure(change.name) is not None:
                raise EditError(
                    f"model {model.name} already has a measure '{change.name}' that aggregates otherwise"
                )
            fields = {"name": change.name, "agg": change.agg, "expr": change.expr, "filter": change.filter}
            path, item = self._model_item(model.name)
            self._add(path, item, "measures", _ordered(fields, _MEASURE_KEYS))
        # What it aggregates is the measure's to say: the metric only names it.
        fields = _fields(change, drop=("model", "agg", "expr", "filter"))
        self._add_metric(change, fields | {"measure": f"{model.name}.{measure}"})

    def _add_metric(self, change: MetricBase, fields: dict[str, Any] | None = None) -> None:
        fields = _fields(change) if fields is None else fields
        fields["format"] = change.format  # every metric of the layer says how it is shown
        if isinstance(change, RatioMetric | DerivedMetric):
            fields["type"] = change.type
        self._add(*self._section("metrics"), _ordered(fields, _METRIC_KEYS))

    def _edit_metric(self, change: EditMetric) -> None:
        metric = self.layer.metric(change.metric)
        if metric is None:
            raise EditError(f"edit_metric: metric '{change.metric}' is not in the layer at {self.root}")
        path, item = self._item("metrics", change.metric)
        if change.description is not None:
            _set(item, "description", change.description)
            self._touch(path)
        if change.filter is None and change.expr is None:
            return
        if isinstance(metric, DerivedMetric):
            if change.filter is not None:
                raise EditError(f"metric {metric.name} is derived: it has a formula (expr), not a filter")
            assert change.expr is not None
            self._formula(change.expr, metric.name)
            _set(item, "expr", change.expr)
            self._touch(path)
            return
        if not isinstance(metric, SimpleMetric):
            raise EditError(
                f"metric {metric.name} is a {metric.type} metric: only its description is edited here"
            )
        found = self.layer.measure_of(metric.name)
        if found is None:
            raise EditError(f"metric {metric.name} counts unknown measure '{metric.measure}'")
        home, measure = found
        self._sql(change.expr, change.filter)
        sharing = [
            m.name
            for m in self.layer.metrics
            if m.name != metric.name and getattr(m, "measure", None) == metric.measure
        ]
        model_path, model_item = self._model_item(home.name)
        measure_item = next(m for m in model_item["measures"] if m.get("name") == measure.name)
        shared = f"measure {metric.measure} is counted by {', '.join(sharing)} too"
        if change.expr is not None:
            if sharing:
                raise EditError(f"{shared}: its expr would change them as well")
            _set(measure_item, "expr", change.expr)
            self._touch(model_path)
        if change.filter is not None:
            if metric.filter is not None or (sharing and measure.filter is None):
                _set(item, "filter", change.filter)  # the metric's own condition
                self._touch(path)
            elif sharing:
                raise EditError(f"{shared}: its filter would change them as well")
            else:
                _set(measure_item, "filter", change.filter)
                self._touch(model_path)

    # -- values, terms, dimensions, relationships -----------------------------------------------
    def _new_value(self, change: NewValue) -> None:
        owner, _, name = change.dimension.rpartition(".")
        found = [
            (model, dimension)
            for model in self.layer.models
            if not owner or model.name == owner
            if (dimension := model.dimension(name)) is not None
        ]
        if not found:
            raise EditError(f"new_value: dimension '{change.dimension}' is not in the layer at {self.root}")
        for model, dimension in found:
            if dimension.segment is not None:
                raise EditError(
                    f"{model.name}.{name} is a segment: its values are its cases, not a list to add to"
                )
            known = {
                word.casefold(): value
                for value, words in dimension.values.items()
                for word in (value, *words)
            }
            for word in (change.value, *change.aliases):
                if word.casefold() in known:
                    raise EditError(
                        f"'{word}' is already a value of {model.name}.{name}"
                        if known[word.casefold()] == word
                        else f"'{word}' already names {model.name}.{name}'s value '{known[word.casefold()]}'"
                    )
        # A values dictionary shared through a YAML anchor (&channels) is one object:
        # written once, every dimension that shares it has the value.
        seen: set[int] = set()
        for path, item in self._dimension_items(owner, name):
            values = item.get("values")
            if values is None:  # values read from the data: this one is listed with its aliases
                _set(item, "values", _node({change.value: list(change.aliases)}))
            elif id(values) not in seen:
                seen.add(id(values))
                _set(values, _plain(change.value), _node(list(change.aliases)))
            self._touch(path)

    def _new_term(self, change: NewTerm) -> None:
        if any(term.name == change.name for term in self.layer.terms):
            raise EditError(f"term '{change.name}' already exists")
        for flt in change.filters:
            owner, _, name = flt.dimension.rpartition(".")
            if not any(m.dimension(name) for m in self.layer.models if not owner or m.name == owner):
                raise EditError(f"term {change.name} filters unknown dimension '{flt.dimension}'")
        self._add(*self._section("terms"), _ordered(_fields(change), _TERM_KEYS))

    def _new_dimension(self, change: NewDimension | NewSegment) -> None:
        model = self._model(change.model)
        if model.column(change.name) is not None or model.measure(change.name) is not None:
            raise EditError(f"model {model.name} already has a field '{change.name}'")
        self._sql(change.expr)
        if change.segment is not None:
            self._model(change.segment.facts)
            if change.segment.population is not None:
                self._metric_exists(change.segment.population, f"segment {change.name}")
        fields = _ordered(_fields(change, drop=("model",)), _DIMENSION_KEYS)
        if "segment" in fields:
            fields["segment"] = _ordered(fields["segment"], _SEGMENT_KEYS)
        path, item = self._model_item(model.name)
        self._add(path, item, "dimensions", fields)

    def _new_relationship(self, change: NewRelationship) -> None:
        for reference in (change.from_, change.to):
            self._model(reference.split(".")[0])
        self._sql(change.required_when)
        key = normalise(change)[:4]
        for rel in self.layer.relationships:
            if normalise(rel)[:4] == key:
                raise EditError(f"relationship {rel.from_} -> {rel.to} already exists")
        self._add(*self._section("relationships"), _ordered(_fields(change), ("from", "to")), block=False)

    # -- the documents ----------------------------------------------------------------------
    def _model(self, name: str) -> Model:
        model = self.layer.model(name)
        if model is None:
            raise EditError(f"model '{name}' is not in the layer at {self.root}")
        return model

    def _mappings(self) -> Iterator[tuple[Path, CommentedMap]]:
        for path, document in self.documents.items():
            if isinstance(document, CommentedMap):
                yield path, document

    def _item(self, section: str, name: str) -> tuple[Path, CommentedMap]:
        for path, document in self._mappings():
            for item in document.get(section) or []:
                if isinstance(item, CommentedMap) and item.get("name") == name:
                    return path, item
        raise EditError(f"{section[:-1]} '{name}' is not in the layer's files at {self.root}")

    def _model_item(self, name: str) -> tuple[Path, CommentedMap]:
        return self._item("models", name)

    def _dimension_items(self, owner: str, name: str) -> Iterator[tuple[Path, CommentedMap]]:
        for path, document in self._mappings():
            for model in document.get("models") or []:
                if owner and model.get("name") != owner:
                    continue
                for dimension in model.get("dimensions") or []:
                    if dimension.get("name") == name:
                        yield path, dimension

    def _section(self, section: str) -> tuple[Path, CommentedMap, str]:
        """The list a new top-level item goes into: the section in the last file that
        holds it (its end is the end of the merged list), else started in the file of
        its nearest neighbour."""
        holders = [(p, d) for p, d in self._mappings() if isinstance(d.get(section), CommentedSeq)]
        if holders:
            return holders[-1][0], holders[-1][1], section
        mappings = list(self._mappings())
        if not mappings:
            raise EditError(f"the layer at {self.root} has no file to add '{section}' to")
        path, document = mappings[0]
        for near in _NEAR.get(section, ()):
            beside = [(p, d) for p, d in mappings if near in d]
            if beside:
                path, document = beside[-1]
                break
        return path, document, section

    def _add(
        self, path: Path, parent: CommentedMap, key: str, fields: dict[str, Any], block: bool = True
    ) -> None:
        """Appends an item to the list `parent[key]`, starting the list if need be."""
        entry = _node(fields, block=block)
        items = parent.get(key)
        if isinstance(items, CommentedSeq):
            _append(items, entry)
        else:  # written whole, so the lines after `parent` stay after it
            items = CommentedSeq([entry])
            items.fa.set_block_style()
            _set(parent, key, items, apart=parent is self.documents[path])
        self._touch(path)

    def _touch(self, path: Path) -> None:
        if path not in self.touched:
            self.touched.append(path)

    def _write(self) -> list[Path]:
        for path in self.touched:
            buffer = io.StringIO()
            self.yaml.dump(self.documents[path], buffer)
            path.write_text(buffer.getvalue(), encoding="utf-8")
        try:
            load_layer(self.root)
        except LayerError as error:
            for path in self.touched:
                path.write_text(self.texts[path], encoding="utf-8")
            raise EditError(f"the layer would no longer load with this change:\n{error}") from None
        return list(self.touched)


def _fields(change: BaseModel, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The change as the layer writes it: its own fields (not `kind`), by their YAML
    names, defaults left out as the hand-written items leave them out."""
    data: dict[str, Any] = change.model_dump(by_alias=True, exclude_defaults=True, exclude={"kind", *drop})
    return data


def _ordered(fields: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    known = {key: fields[key] for key in first if key in fields and fields[key] is not None}
    return known | {key: value for key, value in fields.items() if key not in known and value is not None}


def _node(value: Any, *, block: bool = True, in_list: bool = False) -> Any:
    """Round-trip YAML for a new item, in the style of the hand-written ones: a list or
    mapping of plain values in flow style (`label: {zh: …, en: …}`, `synonyms: […]`),
    as is a list's small mapping (a term's filter, a segment's case); the rest, and
    the item itself unless `block` is False (a relationship), in block style."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, child in value.items():
            node[_plain(key)] = _node(child, block=False, in_list=False)
        small = _flat(value) or (in_list and all(_scalar(v) or _flat(v) for v in value.values()))
        if small and not block:
            node.fa.set_flow_style()
        else:
            node.fa.set_block_style()
            for key, child in value.items():
                if isinstance(child, str) and "\n" in child:
                    node[key] = LiteralScalarString(child)
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_node(child, block=False, in_list=True) for child in value)
        if _flat(value):
            seq.fa.set_flow_style()
        else:
            seq.fa.set_block_style()
        return seq
    return _plain(value)


def _plain(value: Any) -> Any:
    """A string that would not read back as itself unquoted ("55+" does; "6", "TRUE" and
    "a: b" do not) in double quotes, as the layer's files quote them."""
    if not isinstance(value, str) or "\n" in value:
        return value
    try:
        same = pyyaml.safe_load(value) == value
    except pyyaml.YAMLError:
        same = False
    return value if same else DoubleQuotedScalarString(value)


def _scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _flat(value: Any) -> bool:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return children is not None and all(_scalar(child) for child in children)


# -- comments around a new entry ---------------------------------------------------------------
# ruamel keeps the lines after an entry (blank lines, the comment that introduces the
# next section) with the last scalar of the entry. A new last entry takes them over, so
# they stay before what they introduce; blank lines that part the old entries part the
# new one too.

_Slot = tuple[dict[Any, list[Any]], Any, int]


def _tail_slot(node: Any) -> _Slot | None:
    """Where the comment after the last line of a block collection is kept."""
    if not isinstance(node, CommentedMap | CommentedSeq) or not node or node.fa.flow_style():
        return None
    key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    deeper = _tail_slot(node[key])
    if deeper is not None:
        return deeper
    return node.ca.items, key, 2 if isinstance(node, CommentedMap) else 0


def _split(text: str) -> tuple[str, str]:
    """(the end-of-line comment, the lines after it), the latter as ruamel writes a
    comment after a line without one: starting with the line's own break."""
    if text.startswith("\n"):
        return "", text
    line, _, rest = text.partition("\n")
    return line + "\n", "\n" + rest if rest else ""


def _take_tail(node: Any) -> str:
    """Removes and returns the lines after `node`'s last line that it holds (not its
    own end-of-line comment)."""
    return _tail(node, take=True)


def _peek_tail(node: Any) -> str:
    return _tail(node, take=False)


def _tail(node: Any, *, take: bool) -> str:
    # The lines are kept with the last scalar, or (after a flow collection) at the end
    # of a collection on the way down to it; the innermost come first.
    slot = _tail_slot(node)
    entry = slot[0].get(slot[1]) if slot else None
    after = ""
    if slot is not None and entry and entry[slot[2]] is not None:
        token = entry[slot[2]]
        own, after = _split(token.value)
        if take and own:
            token.value = own
        elif take:
            entry[slot[2]] = None
    ends: list[str] = []
    # What ends `node` itself stays after it when lines are taken to follow a new last
    # entry inside it, but is what parts it from the next when peeked at.
    for inner in _last_path(node)[1 if take else 0 :]:
        tokens = [t for t in inner.ca.end or [] if isinstance(t, CommentToken)]
        ends = [t.value for t in tokens] + ends
        if take and tokens:
            inner.ca.end = []
    if ends:
        after = (after or "\n") + "".join(ends)
    return after


def _last_path(node: Any) -> list[Any]:
    """`node` and the block collections that hold its last line, outermost first."""
    path = []
    while isinstance(node, CommentedMap | CommentedSeq) and node and not node.fa.flow_style():
        path.append(node)
        node = node[list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1]
    return path


def _put_tail(node: Any, text: str) -> None:
    slot = _tail_slot(node)
    if not text or slot is None:
        return
    items, key, index = slot
    entry = items.setdefault(key, [None, None, None, None])
    if entry[index] is not None:
        entry[index].value = _split(entry[index].value)[0] + text[1:]
    else:
        entry[index] = CommentToken(text, CommentMark(0))


def _append(seq: CommentedSeq, item: Any) -> None:
    """Appends `item` to a block list, the lines after the list moved after it."""
    after = _take_tail(seq) if seq else ""
    _part(seq, len(seq) - 2)
    seq.append(item)
    _put_tail(seq, after)


def _set(item: CommentedMap, key: Any, value: Any, *, apart: bool = False) -> None:
    """Sets or adds `key` (an empty string removes it) keeping the lines after the
    mapping where they were; `apart`: a new key after a blank line (a file's section)."""
    if value == "":
        if key in item:
            after = _take_tail(item) if list(item)[-1] == key else ""
            del item[key]
            _put_tail(item, after)
        return
    if key in item:
        item[key] = value
        return
    after = _take_tail(item) if item else ""
    if len(item) >= 2:
        _part(item, list(item)[-2])
    if apart and item and "\n\n" not in _peek_tail(item):
        _put_tail(item, "\n\n")
    item[key] = value
    _put_tail(item, after)


def _part(node: CommentedMap | CommentedSeq, before_last: Any) -> None:
    """Where blank lines part the entry before the last from the last (metrics, a
    file's sections), they part the last from the one about to follow it too."""
    if isinstance(node, CommentedSeq) and not 0 <= before_last < len(node):
        return
    between = _peek_tail(_alone(node, before_last))
    if between and not between.strip():
        _put_tail(node, between)


def _alone(node: CommentedMap | CommentedSeq, key: Any) -> Any:
    """The entry at `key` alone, to read the lines after it: a block value keeps them
    itself, a scalar or flow one in its container's slot for it."""
    value = node[key]
    if _tail_slot(value) is not None:
        return value
    view: CommentedMap | CommentedSeq
    view = CommentedMap([(key, value)]) if isinstance(node, CommentedMap) else CommentedSeq([value])
    view.fa.set_block_style()
    view.ca.items[key if isinstance(node, CommentedMap) else 0] = node.ca.items.get(key, [None] * 4)
    return view


def diff(old: Path, new: Path) -> str:
    """The unified diff between two copies of a layer, paths relative to each."""
    old_files = {f.relative_to(old if old.is_dir() else old.parent): f for f in layer_files(old)}
    new_files = {f.relative_to(new if new.is_dir() else new.parent): f for f in layer_files(new)}
    chunks: list[str] = []
    for name in sorted(set(old_files) | set(new_files)):
        before = (
            old_files[name].read_text(encoding="utf-8").splitlines(keepends=True) if name in old_files else []
        )
        after = (
            new_files[name].read_text(encoding="utf-8").splitlines(keepends=True) if name in new_files else []
        )
        chunks += difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
    return "".join(chunks)


def save(proposed: Path, layer: Path) -> list[Path]:
    """Copies the files of the proposed layer that differ over the real ones."""
    written: list[Path] = []
    base = proposed if proposed.is_dir() else proposed.parent
    target_base = layer if layer.is_dir() else layer.parent
    for source in layer_files(proposed):
        target = target_base / source.relative_to(base)
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
            written.append(target)
    return written
