"""Phase 3 computations: pure functions from DataFrames to DataFrames (no Dagster, no I/O).

Anything describing form before a game ("recent", "season", "rest") reads only games strictly before
the game's date (`features.rolling`), so rebuilding a date after deleting everything on and after it
gives the same rows.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from nba_pipeline.coverage import Excuse
from nba_pipeline.features import formulas as f
from nba_pipeline.features.rolling import games_in_window, games_since, rolling_before, season_mean_before
from nba_pipeline.partitions import season_start

ROSTER_DAYS = 30  # a player who played for a team within this many days is expected on its next games
OUT_STATUSES = ("Out", "Doubtful")
# Per-minute rates from a few seconds of play are noise (a 1-minute cameo with 3 shots "uses" 130 %).
MIN_MINUTES_FOR_RATES = 3.0
# Per-minute rates from a few seconds of play are noise (a 1-minute cameo with 3 shots "uses" 130 %).
MIN_MINUTES_FOR_RATES = 3.0


def _dates(frame: pd.DataFrame, column: str = "game_date") -> pd.Series:
    return pd.to_datetime(frame[column]).dt.date


# --- games that happened -------------------------------------------------------------------------


def _with_opponent(team_box: pd.DataFrame) -> pd.DataFrame:
    """Each team row with its opponent's row of the same game as `opp_*` columns."""
    opponent = team_box.drop(columns=["opponent_abbr", "is_home", "game_date"], errors="ignore").add_prefix(
        "opp_"
    )
    return team_box.merge(
        opponent, left_on=["game_id", "opponent_abbr"], right_on=["opp_game_id", "opp_team_abbr"], how="left"
    )


def team_offense(team_box: pd.DataFrame) -> pd.DataFrame:
    t = _with_opponent(team_box)
    poss = f.possessions(t.fga, t.fta, t.oreb, t.tov)
    opp_poss = f.possessions(t.opp_fga, t.opp_fta, t.opp_oreb, t.opp_tov)
    return t.assign(
        opponent_points=t.opp_points,
        win=t.points > t.opp_points,
        two_pt_made=t.fgm - t.fg3m,
        two_pt_att=t.fga - t.fg3a,
        possessions=poss,
        pace=f.pace(poss, opp_poss, t.minutes),
        offensive_rating=f.rating(t.points, poss),
        fg_pct=f.share(t.fgm, t.fga),
        fg3_pct=f.share(t.fg3m, t.fg3a),
        ft_pct=f.share(t.ftm, t.fta),
        efg_pct=f.effective_fg(t.fgm, t.fg3m, t.fga),
        ts_pct=f.true_shooting(t.points, t.fga, t.fta),
    )


def team_defense(team_box: pd.DataFrame) -> pd.DataFrame:
    t = _with_opponent(team_box)
    opp_poss = f.possessions(t.opp_fga, t.opp_fta, t.opp_oreb, t.opp_tov)
    two_pt_points = 2 * (t.opp_fgm - t.opp_fg3m)
    return t.assign(
        points_allowed=t.opp_points,
        opp_two_pt_points=two_pt_points,
        opp_three_pt_points=3 * t.opp_fg3m,
        opp_ft_points=t.opp_ftm,
        opp_mid_range_points=two_pt_points - t.opp_paint_points,  # NaN where the source has no paint split
        opp_possessions=opp_poss,
        defensive_rating=f.rating(t.opp_points, opp_poss),
        opp_fg_pct=f.share(t.opp_fgm, t.opp_fga),
        opp_fg3_pct=f.share(t.opp_fg3m, t.opp_fg3a),
        opp_efg_pct=f.effective_fg(t.opp_fgm, t.opp_fg3m, t.opp_fga),
        forced_tov=t.opp_tov,
    )


def consensus_lines(props: pd.DataFrame) -> pd.DataFrame:
    """Per (game, player): the median over books of each book's latest pre-tip line, the median of their
    earliest lines, and how many books listed the player."""
    columns = ["game_id", "player_lookup", "points_line", "opening_line", "line_books"]
    if props.empty:
        return pd.DataFrame(columns=columns)
    pre = props[pd.to_datetime(props.snapshot_timestamp) < pd.to_datetime(props.commence_time)]
    pre = pre.sort_values("snapshot_timestamp", kind="stable")
    by_book = pre.groupby(["game_id", "player_lookup", "bookmaker"])["points_line"]
    books = pd.DataFrame({"latest": by_book.last(), "earliest": by_book.first()}).groupby(
        ["game_id", "player_lookup"]
    )
    lines = pd.DataFrame(
        {
            "points_line": books["latest"].median(),
            "opening_line": books["earliest"].median(),
            "line_books": books["latest"].count(),
        }
    )
    return lines.reset_index()[columns]


def player_summary(gamebook: pd.DataFrame, offense: pd.DataFrame, props: pd.DataFrame) -> pd.DataFrame:
    """Players who played, with usage from their team's totals of the same game (DOMAIN §8 item 8)."""
    played = gamebook[(gamebook.player_status == "active") & (gamebook.minutes > 0)]
    team = offense[["game_id", "team_abbr", "fga", "fta", "tov", "minutes"]].add_prefix("team_")
    p = played.merge(
        team, left_on=["game_id", "team_abbr"], right_on=["team_game_id", "team_team_abbr"], how="left"
    )
    p = p.merge(consensus_lines(props), on=["game_id", "player_lookup"], how="left")
    margin = p.points.astype(float) - p.points_line.astype(float)  # NaN without a line: no result
    team_game = p.groupby(["game_id", "team_abbr"])
    return p.assign(
        minutes_rank=team_game.minutes.rank(ascending=False, method="first"),  # 1 = most minutes: the role
        minutes_share=p.minutes / team_game.minutes.transform("sum"),
        points_share=p.points / team_game.points.transform("sum").replace(0, np.nan),
        two_pt_made=p.fgm - p.fg3m,
        two_pt_att=p.fga - p.fg3a,
        usage_rate=f.usage_rate(
            p.fga, p.fta, p.tov, p.minutes, p.team_fga, p.team_fta, p.team_tov, p.team_minutes
        ).where(p.minutes >= MIN_MINUTES_FOR_RATES),
        ts_pct=f.true_shooting(p.points, p.fga, p.fta),
        efg_pct=f.effective_fg(p.fgm, p.fg3m, p.fga),
        margin_vs_line=margin,
        over_under_result=np.select(
            [margin > 0, margin < 0, margin == 0], ["OVER", "UNDER", "PUSH"], default=None
        ),
    )


# --- games about to happen -----------------------------------------------------------------------


def team_games(schedule: pd.DataFrame) -> pd.DataFrame:
    """Each scheduled game as two team rows."""
    base = schedule[["game_id", "game_date", "tipoff_et"]]
    home = base.assign(team_abbr=schedule.home_team_abbr, opponent_abbr=schedule.away_team_abbr, is_home=True)
    away = base.assign(
        team_abbr=schedule.away_team_abbr, opponent_abbr=schedule.home_team_abbr, is_home=False
    )
    out = pd.concat([home, away], ignore_index=True)
    out["game_date"] = _dates(out)
    return out


def latest_injuries(injuries: pd.DataFrame) -> pd.DataFrame:
    """Each listed player's status on the latest report release for his game."""
    if injuries.empty:
        return pd.DataFrame(
            columns=["game_id", "team_abbr", "player_lookup", "player_name", "injury_status", "injury_reason"]
        )
    latest = injuries.sort_values("report_time", kind="stable").groupby(["game_id", "player_lookup"]).tail(1)
    return latest.rename(columns={"reason": "injury_reason"})[
        ["game_id", "team_abbr", "player_lookup", "player_name", "injury_status", "injury_reason"]
    ]


def _likely_players(games: pd.DataFrame, history: pd.DataFrame, injuries: pd.DataFrame) -> pd.DataFrame:
    """Players expected on each team-game: those whose latest game before the date was for the team,
    within ROSTER_DAYS of the team's own previous game (so a season opener finds last season's roster
    rather than nobody), plus anyone the injury report lists for the game."""
    rows = []
    if not history.empty:
        last = history[["player_lookup", "player_name", "team_abbr", "game_date"]].copy()
        last["game_date"] = pd.to_datetime(last.game_date)
        last = last.sort_values("game_date", kind="stable")
        for day in sorted(games.game_date.unique()):
            before = last[last.game_date < pd.Timestamp(day)]
            current = before.groupby("player_lookup").tail(1)  # each player's latest team
            team_previous = before.groupby("team_abbr").game_date.max().rename("team_previous")
            current = current.join(team_previous, on="team_abbr")
            current = current[current.game_date >= current.team_previous - pd.Timedelta(days=ROSTER_DAYS)]
            playing = games[games.game_date == day]
            rows.append(current.drop(columns=["game_date", "team_previous"]).merge(playing, on="team_abbr"))
    listed = games.merge(
        injuries[["game_id", "team_abbr", "player_lookup", "player_name"]], on=["game_id", "team_abbr"]
    )
    candidates = pd.concat([*rows, listed], ignore_index=True)
    if candidates.empty:
        return candidates.reindex(columns=[*games.columns, "player_lookup", "player_name"])
    return candidates.drop_duplicates(["game_id", "player_lookup"], keep="first")


def games_without_history(schedule: pd.DataFrame, history: pd.DataFrame) -> dict[date, Excuse]:
    """Per date, the games with a team that has no game in `history` before the date (the first games
    of the data): no roster is known for it, so no player context can cover the game yet."""
    if schedule.empty:
        return {}
    games = team_games(schedule)
    first_seen = (
        history.assign(day=_dates(history)).groupby("team_abbr")["day"].min()
        if not history.empty
        else pd.Series(dtype=object)
    )
    unknown = ~(games.team_abbr.map(first_seen).fillna(date.max) < games.game_date)
    counts = games[unknown].groupby("game_date").game_id.nunique()
    return {
        day: Excuse(f"{n} game(s) with a team that has no earlier game to take a roster from", int(n))
        for day, n in counts.items()
    }


def _missing_teammates(ctx: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Who sat out the team's previous game, and how much scoring and usage went with them: minutes
    and shots that go to the players who are there (knowable before tip-off from the last box score)."""
    if history.empty:
        return ctx.assign(
            missed_last_team_game=False, teammates_missing_points=0.0, teammates_missing_usage=0.0
        )
    team_days = (
        history[["team_abbr", "game_date"]].drop_duplicates().rename(columns={"game_date": "team_prev"})
    )
    team_days["team_prev"] = pd.to_datetime(team_days.team_prev).astype("datetime64[ns]")
    left = ctx.assign(
        _day=pd.to_datetime(ctx.game_date).astype("datetime64[ns]"), _row=np.arange(len(ctx))
    ).sort_values("_day")
    prev = pd.merge_asof(
        left,
        team_days.sort_values("team_prev"),
        left_on="_day",
        right_on="team_prev",
        by="team_abbr",
        allow_exact_matches=False,
    ).sort_values("_row")
    missed = (pd.to_datetime(prev.last_game_date) < prev.team_prev).fillna(False).to_numpy()
    ctx = ctx.assign(missed_last_team_game=missed)
    gone = ctx.assign(
        p=ctx.points_avg_last_10.fillna(0).where(missed, 0),
        u=ctx.usage_rate_avg_last_10.fillna(0).where(missed, 0),
    )
    totals = gone.groupby(["game_id", "team_abbr"])[["p", "u"]].transform("sum")
    return ctx.assign(teammates_missing_points=totals.p - gone.p, teammates_missing_usage=totals.u - gone.u)


def _rest_in_season(ctx: pd.DataFrame, since: pd.Series) -> pd.Series:
    """Days off since the previous game of the same season; none for a season's first game (an
    off-season, or a season missing from the history, is not rest)."""
    last = pd.to_datetime(ctx.last_game_date)
    days = (pd.to_datetime(ctx.game_date) - last).dt.days - 1
    return days.where(last.to_numpy() >= since.to_numpy())


def player_context(
    schedule: pd.DataFrame, injuries: pd.DataFrame, props: pd.DataFrame, history: pd.DataFrame
) -> pd.DataFrame:
    """upcoming_player_game_context for the schedule's dates; `history` is player_game_summary rows
    (only those strictly before each date are used)."""
    games = team_games(schedule)
    status = latest_injuries(injuries)
    ctx = _likely_players(games, history, status)
    if ctx.empty:
        return ctx
    ctx = ctx.merge(
        status.drop(columns=["team_abbr", "player_name"]), on=["game_id", "player_lookup"], how="left"
    )
    ctx = ctx.merge(consensus_lines(props), on=["game_id", "player_lookup"], how="left")
    targets = ctx[["player_lookup", "game_date"]]
    form = rolling_before(
        history, targets, "player_lookup", ["points", "minutes", "usage_rate"], windows=[5, 10]
    )
    ctx = pd.concat([ctx.reset_index(drop=True), form.reset_index(drop=True)], axis=1)
    ctx = _missing_teammates(ctx, history)
    since = pd.to_datetime(pd.Series([season_start(d) for d in ctx.game_date]))
    days_rest = _rest_in_season(ctx, since)
    return ctx.assign(
        has_prop_line=ctx.points_line.notna(),
        line_move=ctx.points_line - ctx.opening_line,
        days_rest=days_rest,
        back_to_back=(days_rest == 0).where(days_rest.notna()),
        games_last_7_days=games_in_window(history, targets, "player_lookup", 7) if len(history) else 0,
        games_played_season=games_since(history, targets, "player_lookup", since) if len(history) else 0,
        games_last_5=np.minimum(ctx.games_before, 5),
        games_last_10=np.minimum(ctx.games_before, 10),
    )


def team_context(
    schedule: pd.DataFrame, injuries: pd.DataFrame, offense: pd.DataFrame, defense: pd.DataFrame
) -> pd.DataFrame:
    """upcoming_team_game_context for the schedule's dates from team history strictly before each date."""
    games = team_games(schedule)
    if games.empty:
        return games
    history = (
        offense[["game_id", "game_date", "team_abbr", "pace", "offensive_rating", "win"]]
        .merge(defense[["game_id", "team_abbr", "defensive_rating"]], on=["game_id", "team_abbr"], how="left")
        .assign(win=lambda h: h.win.astype(float))
    )
    targets = games[["team_abbr", "game_date"]]
    form = rolling_before(
        history, targets, "team_abbr", ["pace", "offensive_rating", "defensive_rating"], windows=[10]
    )
    since = pd.to_datetime(pd.Series([season_start(d) for d in games.game_date]))
    ctx = pd.concat([games.reset_index(drop=True), form.reset_index(drop=True)], axis=1)
    days_rest = _rest_in_season(ctx, since)
    ctx = ctx.assign(
        days_rest=days_rest,
        back_to_back=(days_rest == 0).where(days_rest.notna()),
        games_last_7_days=games_in_window(history, targets, "team_abbr", 7),
        games_played_season=games_since(history, targets, "team_abbr", since),
        win_pct_season=season_mean_before(history, targets, "team_abbr", "win", since),
        pace_last_10=ctx.pace_avg_last_10,
        off_rating_last_10=ctx.offensive_rating_avg_last_10,
        def_rating_last_10=ctx.defensive_rating_avg_last_10,
    )
    status = latest_injuries(injuries)
    out = (
        status[status.injury_status.isin(OUT_STATUSES)]
        .groupby(["game_id", "team_abbr"])
        .size()
        .rename("players_out")
    )
    ctx = ctx.merge(out.reset_index(), on=["game_id", "team_abbr"], how="left").fillna({"players_out": 0})
    opponent = ctx[
        ["game_id", "team_abbr", "pace_last_10", "off_rating_last_10", "def_rating_last_10"]
    ].rename(
        columns={
            "team_abbr": "opponent_abbr",
            "pace_last_10": "opp_pace_last_10",
            "off_rating_last_10": "opp_off_rating_last_10",
            "def_rating_last_10": "opp_def_rating_last_10",
        }
    )
    ctx = ctx.merge(opponent, on=["game_id", "opponent_abbr"], how="left")
    # The expected margin: lopsided games end with starters on the bench.
    net = ctx.off_rating_last_10 - ctx.def_rating_last_10
    return ctx.assign(net_rating_diff=net - (ctx.opp_off_rating_last_10 - ctx.opp_def_rating_last_10))
