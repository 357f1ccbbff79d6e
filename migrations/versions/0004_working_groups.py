"""several working groups, one bot (issue 17)

Every group-owned row gets its group: a proposal's key becomes (group_key, number), and every
row that points at a proposal points at that pair. Today's data moves into the group whose
channel it was posted in, else `mwg` (the channel → key map comes from the loaded groups,
through `config.attributes["group_channels"]`, see `db/migrate.py`). Numbers, cards and history
stay as they are; each group's `next_number` starts at its highest number. The welcome's two
columns move from `members` (one person across groups) to `group_members` (per group).

The downgrade works while one group holds all the data, and refuses otherwise.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 20:10:00
"""

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import context, op

import mwgbot.db.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_GROUP = "mwg"
KEY = sa.String(length=16)
# Tables whose rows point at a proposal: (table, ondelete of the foreign key).
CHILDREN = (
    ("signups", "CASCADE"),
    ("objections", "CASCADE"),
    ("reaction_marks", "CASCADE"),
    ("proposal_updates", "CASCADE"),
    ("time_entries", None),
    ("outbox", "CASCADE"),
)
# Ledger rows without a proposal that still belong to a group.
GROUP_KINDS = ("time_logged", "time_removed", "meeting_skipped", "meeting_restored")


@contextmanager
def _new_primary_keys() -> Iterator[None]:
    """SQLite's batch rebuild reflects the old primary key and warns that the new one differs,
    which is the point; the warning would reach the console's and the CLI's output."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message=".*as primary_key=True, not matching locally",
            category=sa.exc.SAWarning,
        )
        yield


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _group_channels() -> Mapping[str, str]:
    channels = context.config.attributes.get("group_channels") or {}
    return {str(channel): str(key) for channel, key in dict(channels).items()}


def _default_group() -> str:
    return str(context.config.attributes.get("default_group") or DEFAULT_GROUP)


def upgrade() -> None:
    with _new_primary_keys():
        _upgrade()


def downgrade() -> None:
    with _new_primary_keys():
        _downgrade()


def _upgrade() -> None:
    default = _default_group()
    channels = _group_channels()
    op.create_table(
        "groups",
        sa.Column("key", KEY, nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_groups")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_key", KEY, nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("joined_channel_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("welcomed_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("group_key", "user_id", name=op.f("pk_group_members")),
    )
    with op.batch_alter_table("group_members", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_members_group_key_joined_channel_at",
            ["group_key", "joined_channel_at"],
            unique=False,
        )
        batch_op.create_index("ix_group_members_user_id", ["user_id"], unique=False)

    # 1. The columns, nullable until they are filled in.
    for table in ("proposals", "activity", "meeting_skips", *(t for t, _ in CHILDREN)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("group_key", KEY, nullable=True))

    # 2. Today's data into its group: a proposal by its card's channel, its rows with it.
    proposals = sa.table("proposals", sa.column("channel_id"), sa.column("group_key"))
    by_channel = (
        sa.case(
            *((proposals.c.channel_id == channel, key) for channel, key in channels.items()),
            else_=default,
        )
        if channels
        else sa.literal(default)
    )
    op.execute(proposals.update().values(group_key=by_channel))
    owner = "(SELECT p.group_key FROM proposals p WHERE p.number = {table}.proposal_number)"
    for table, _ in CHILDREN:
        op.execute(f"UPDATE {table} SET group_key = {owner.format(table=table)}")  # noqa: S608
    op.execute(
        f"UPDATE activity SET group_key = {owner.format(table='activity')} "  # noqa: S608
        "WHERE proposal_number IS NOT NULL"
    )
    kinds = ", ".join(f"'{kind}'" for kind in GROUP_KINDS)
    op.execute(
        sa.text(
            f"UPDATE activity SET group_key = :g WHERE group_key IS NULL AND kind IN ({kinds})"  # noqa: S608
        ).bindparams(g=default)
    )
    outbox = sa.table("outbox", sa.column("channel_id"), sa.column("group_key"))
    outbox_channel = (
        sa.case(
            *((outbox.c.channel_id == channel, key) for channel, key in channels.items()),
            else_=default,
        )
        if channels
        else sa.literal(default)
    )
    # Messages of no proposal keep deduping as before: they belong to the one group.
    op.execute(outbox.update().where(outbox.c.group_key.is_(None)).values(group_key=outbox_channel))
    for table in ("time_entries", "meeting_skips"):
        op.execute(
            sa.text(f"UPDATE {table} SET group_key = :g WHERE group_key IS NULL").bindparams(  # noqa: S608
                g=default
            )
        )
    op.execute(
        sa.text(
            "INSERT INTO group_members (group_key, user_id, joined_channel_at, welcomed_at) "
            "SELECT :g, user_id, joined_channel_at, welcomed_at FROM members "
            "WHERE joined_channel_at IS NOT NULL OR welcomed_at IS NOT NULL"
        ).bindparams(g=default)
    )
    keys = {default, *channels.values()}
    present = op.get_bind().execute(sa.text("SELECT DISTINCT group_key FROM proposals")).scalars()
    keys.update(str(key) for key in present)
    for key in sorted(keys):
        op.execute(
            sa.text(
                "INSERT INTO groups (key, next_number) SELECT :g, COALESCE(MAX(number), 0) "
                "FROM proposals WHERE group_key = :g"
            ).bindparams(g=key)
        )

    # 3. The children let go of proposals.number ...
    for table, _ in CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_proposal_number_proposals", type_="foreignkey")
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_constraint("uq_signups_proposal_number_user_id", type_="unique")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_constraint("uq_objections_proposal_number_user_id", type_="unique")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_dedupe_key", type_="unique")
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_updates_proposal_number_id")
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_time_entries_proposal_number")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_proposal_number_id")

    # 4. ... the proposal's key becomes (group_key, number) ...
    if not _sqlite():
        op.drop_constraint("pk_proposals", "proposals", type_="primary")
        op.drop_constraint("pk_meeting_skips", "meeting_skips", type_="primary")
        op.drop_constraint("pk_reaction_marks", "reaction_marks", type_="primary")
        op.execute("ALTER TABLE proposals ALTER COLUMN number DROP DEFAULT")
        op.execute("DROP SEQUENCE IF EXISTS proposals_number_seq")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_card_stale")
        batch_op.alter_column("group_key", existing_type=KEY, nullable=False)
        batch_op.alter_column(
            "number", existing_type=sa.Integer(), autoincrement=False, existing_nullable=False
        )
        batch_op.create_primary_key("pk_proposals", ["group_key", "number"])
        batch_op.create_index(
            "ix_proposals_card_stale",
            ["group_key", "number"],
            unique=False,
            sqlite_where=sa.text("card_revision > card_synced_revision"),
            postgresql_where=sa.text("card_revision > card_synced_revision"),
        )
    with op.batch_alter_table("meeting_skips", schema=None) as batch_op:
        batch_op.alter_column("group_key", existing_type=KEY, nullable=False)
        batch_op.create_primary_key("pk_meeting_skips", ["group_key", "meeting_date"])

    # 5. ... and the children point at the pair.
    for table, ondelete in CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("group_key", existing_type=KEY, nullable=False)
            if table == "reaction_marks":
                batch_op.create_primary_key(
                    "pk_reaction_marks",
                    ["group_key", "proposal_number", "user_id", "meaning", "emoji"],
                )
            batch_op.create_foreign_key(
                f"fk_{table}_group_key_proposals",
                "proposals",
                ["group_key", "proposal_number"],
                ["group_key", "number"],
                ondelete=ondelete,
            )
    for table in ("signups", "objections"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_unique_constraint(
                f"uq_{table}_group_key_proposal_number_user_id",
                ["group_key", "proposal_number", "user_id"],
            )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_outbox_group_key_dedupe_key", ["group_key", "dedupe_key"]
        )
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposal_updates_group_key_proposal_number_id",
            ["group_key", "proposal_number", "id"],
            unique=False,
        )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_time_entries_group_key_proposal_number",
            ["group_key", "proposal_number"],
            unique=False,
        )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_group_key_proposal_number_id",
            ["group_key", "proposal_number", "id"],
            unique=False,
        )

    # The welcome is per group now.
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_joined_channel_at")
        batch_op.drop_column("welcomed_at")
        batch_op.drop_column("joined_channel_at")


def _downgrade() -> None:
    bind = op.get_bind()
    held = set()
    for table in ("proposals", "time_entries", "meeting_skips", "group_members"):
        held.update(
            str(key)
            for key in bind.execute(sa.text(f"SELECT DISTINCT group_key FROM {table}")).scalars()  # noqa: S608
        )
    held.update(
        str(key)
        for key in bind.execute(
            sa.text("SELECT DISTINCT group_key FROM outbox WHERE group_key <> ''")
        ).scalars()
    )
    if len(held) > 1:
        raise RuntimeError(
            "cannot downgrade below 0004: the database holds the data of several groups "
            f"({', '.join(sorted(held))}); the previous release knows only one"
        )
    group = next(iter(held), _default_group())

    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "joined_channel_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("welcomed_at", mwgbot.db.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_members_joined_channel_at", ["joined_channel_at"], unique=False)
    for column in ("joined_channel_at", "welcomed_at"):
        op.execute(
            sa.text(
                f"UPDATE members SET {column} = (SELECT g.{column} FROM group_members g "  # noqa: S608
                "WHERE g.user_id = members.user_id AND g.group_key = :g)"
            ).bindparams(g=group)
        )

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_group_key_proposal_number_id")
        batch_op.create_index(
            "ix_activity_proposal_number_id", ["proposal_number", "id"], unique=False
        )
        batch_op.drop_column("group_key")
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_time_entries_group_key_proposal_number")
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_updates_group_key_proposal_number_id")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_group_key_dedupe_key", type_="unique")
    for table in ("signups", "objections"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                f"uq_{table}_group_key_proposal_number_user_id", type_="unique"
            )
    for table, _ in CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_group_key_proposals", type_="foreignkey")
    if not _sqlite():
        op.drop_constraint("pk_reaction_marks", "reaction_marks", type_="primary")
        op.drop_constraint("pk_meeting_skips", "meeting_skips", type_="primary")
        op.drop_constraint("pk_proposals", "proposals", type_="primary")
    with op.batch_alter_table("reaction_marks", schema=None) as batch_op:
        batch_op.create_primary_key(
            "pk_reaction_marks", ["proposal_number", "user_id", "meaning", "emoji"]
        )
    with op.batch_alter_table("meeting_skips", schema=None) as batch_op:
        batch_op.create_primary_key("pk_meeting_skips", ["meeting_date"])
        batch_op.drop_column("group_key")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_card_stale")
        batch_op.create_primary_key("pk_proposals", ["number"])
        batch_op.create_index(
            "ix_proposals_card_stale",
            ["number"],
            unique=False,
            sqlite_where=sa.text("card_revision > card_synced_revision"),
            postgresql_where=sa.text("card_revision > card_synced_revision"),
        )
        batch_op.drop_column("group_key")
    if not _sqlite():
        op.execute("CREATE SEQUENCE proposals_number_seq OWNED BY proposals.number")
        op.execute(
            "SELECT setval('proposals_number_seq', COALESCE((SELECT MAX(number) FROM proposals), 0) + 1, false)"
        )
        op.execute(
            "ALTER TABLE proposals ALTER COLUMN number SET DEFAULT nextval('proposals_number_seq')"
        )

    for table, ondelete in CHILDREN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_proposal_number_proposals",
                "proposals",
                ["proposal_number"],
                ["number"],
                ondelete=ondelete or "SET NULL",
            )
            batch_op.drop_column("group_key")
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_signups_proposal_number_user_id", ["proposal_number", "user_id"]
        )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_objections_proposal_number_user_id", ["proposal_number", "user_id"]
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])
    with op.batch_alter_table("proposal_updates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposal_updates_proposal_number_id", ["proposal_number", "id"], unique=False
        )
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index("ix_time_entries_proposal_number", ["proposal_number"], unique=False)

    op.drop_table("group_members")
    op.drop_table("groups")
