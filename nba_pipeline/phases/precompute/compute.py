"""Phase 4 computations: zone analyses, the daily cache, composite factors and the feature store.

Pure functions over DataFrames. History inputs are read strictly before each target date by
`features.rolling`, so nothing here can see the game it describes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nba_pipeline.features.rolling import ewm_before, games_in_window, rolling_before
from nba_pipeline.features.rotation import rotation_status
from nba_pipeline.features.seasons import (
    DECAY,
    PRIOR_GAMES,
    PRIOR_MINUTES,
    blend,
    previous_season,
    prior_weight,
    season_keyed,
)
from nba_pipeline.phases.analytics.compute import OUT_STATUSES
from nba_pipeline.phases.precompute.features import (
    FEATURES,
    MAX_DEFAULTED_FEATURES,
    QUALITY,
    SEASON_WINDOWS,
    quality_column,
    source_column,
)

ZONES = ("two", "three", "ft", "paint", "mid")
INJURY_CODES = {"Available": 0, "Probable": 1, "Questionable": 2, "Doubtful": 3, "Out": 4}
PLAYER_KEYS = ["game_id", "game_date", "player_lookup", "team_abbr"]
LONG_WINDOW = 82  # a season's worth of games: this season's rate to date
EWM_HALFLIFE = 4  # games: recent form that forgets smoothly instead of at a window's edge
# More half-lives (games): the last game or two, about a month, about two months. Chosen by measurement
# (benchmarks/model_quality.py: the "multi-half-life averages" ablation row).
EWM_HALFLIVES = {"short": 1.5, "mid": 8.0, "long": 16.0}


def _targets(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame[[key, "game_date"]].reset_index(drop=True)


def team_defense_zones(team_ctx: pd.DataFrame, defense_history: pd.DataFrame) -> pd.DataFrame:
    """Last-15-game defense of each team playing on the date, against the league's last-15 average."""
    if team_ctx.empty:
        return team_ctx
    values = {
        "points_allowed": "points_allowed",
        "opp_two_pt_points": "two_pt_allowed",
        "opp_three_pt_points": "three_pt_allowed",
        "opp_ft_points": "ft_allowed",
        "opp_paint_points": "paint_allowed",
        "opp_mid_range_points": "mid_range_allowed",
        "defensive_rating": "def_rating",
    }
    teams = (
        sorted(set(defense_history.team_abbr) | set(team_ctx.team_abbr))
        if not defense_history.empty
        else sorted(set(team_ctx.team_abbr))
    )
    days = sorted(pd.to_datetime(team_ctx.game_date).dt.date.unique())
    league_targets = pd.DataFrame([(t, d) for d in days for t in teams], columns=["team_abbr", "game_date"])
    r = rolling_before(defense_history, league_targets, "team_abbr", list(values), windows=[15])
    r = pd.concat([league_targets, r], axis=1).rename(
        columns={f"{v}_avg_last_15": f"{name}_last_15" for v, name in values.items()}
    )
    r = r.rename(columns={"games_before": "games_in_window"})
    r["games_in_window"] = np.minimum(r.games_in_window, 15)
    measured = [f"{name}_last_15" for name in values.values()]
    league = r[r.games_in_window > 0].groupby("game_date")[measured].mean()
    out = team_ctx[["game_id", "game_date", "team_abbr"]].merge(r, on=["team_abbr", "game_date"], how="left")
    league_rows = league.reindex(out.game_date).reset_index(drop=True)
    for name in ("points_allowed", "two_pt", "three_pt", "ft", "paint", "mid_range"):
        column = "points_allowed_last_15" if name == "points_allowed" else f"{name}_allowed_last_15"
        out[f"{name}_vs_league"] = out[column].to_numpy() - league_rows[column].to_numpy()
    return out


def shot_zones(players: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Share of a player's points by shot type over his last 10 and 20 games of the season."""
    if players.empty:
        return players
    h = history.assign(
        two=2 * history.two_pt_made,
        three=3 * history.fg3m,
        ft=history.ftm,
        paint=history.paint_points,
        mid=2 * history.two_pt_made - history.paint_points,
    )
    r = rolling_before(
        season_keyed(h, "player_lookup"),
        season_keyed(_targets(players, "player_lookup"), "player_lookup"),
        "player_lookup",
        ["points", *ZONES],
        windows=[10, 20],
    )
    out = players[PLAYER_KEYS].reset_index(drop=True)
    for w in (10, 20):
        out[f"games_last_{w}"] = np.minimum(r.games_before, w)
        total = r[f"points_avg_last_{w}"].replace(0, np.nan)
        for zone in ZONES:
            out[f"pct_{zone}_last_{w}"] = r[f"{zone}_avg_last_{w}"] / total
    return out


def _carried(players: pd.DataFrame, history: pd.DataFrame, season: pd.DataFrame) -> dict[str, np.ndarray]:
    """Last season's rates (the most recent earlier season the history holds), and this season's
    blended with them: `season` holds this season's games, points and minutes before each date."""
    prev = previous_season(
        history, _targets(players, "player_lookup"), "player_lookup", ["points", "minutes"]
    )
    ppm = prev.prev_points_sum / prev.prev_minutes_sum.replace(0, np.nan)
    games_weight = prior_weight(PRIOR_GAMES, prev.seasons_back)
    minutes_weight = prior_weight(PRIOR_MINUTES, prev.seasons_back)
    points_total, minutes_total = season.points * season.games, season.minutes * season.games
    minutes_blend = blend(minutes_total, season.games, prev.prev_minutes_avg, games_weight)
    ppm_blend = blend(points_total, minutes_total, ppm, minutes_weight)
    return {
        "prev_season_games": prev.prev_games.to_numpy(),
        "seasons_since_prev": prev.seasons_back.to_numpy(),
        "prev_season_points_avg": prev.prev_points_avg.to_numpy(),
        "prev_season_minutes_avg": prev.prev_minutes_avg.to_numpy(),
        "prev_season_ppm": ppm.to_numpy(),
        "points_avg_blend": blend(points_total, season.games, prev.prev_points_avg, games_weight),
        "minutes_avg_blend": minutes_blend,
        "ppm_blend": ppm_blend,
        # expected points: the blended rate times recent minutes (the blended minutes before any)
        "exp_points_blend": ppm_blend
        * np.where(np.isnan(season.recent_minutes), minutes_blend, season.recent_minutes),
    }


def daily_cache(players: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """Rolling form over this season's games (fresh each season), and rates carried from earlier ones."""
    if players.empty:
        return players
    targets = season_keyed(_targets(players, "player_lookup"), "player_lookup")
    this_season = season_keyed(history, "player_lookup")
    values = [
        "points",
        "minutes",
        "usage_rate",
        "ts_pct",
        "fga",
        "minutes_rank",
        "minutes_share",
        "points_share",
    ]
    r = rolling_before(
        this_season,
        targets,
        "player_lookup",
        values,
        windows=[1, 3, 5, 10, 20, LONG_WINDOW],
        std_windows=[10],
    )
    season_ppm = r[f"points_avg_last_{LONG_WINDOW}"] / r[f"minutes_avg_last_{LONG_WINDOW}"].replace(0, np.nan)
    ewm_minutes = ewm_before(this_season, targets, "player_lookup", "minutes", EWM_HALFLIFE)
    ewm = {
        f"ewm_{v}_{name}": ewm_before(this_season, targets, "player_lookup", v, halflife)
        for v in ("points", "minutes")
        for name, halflife in EWM_HALFLIVES.items()
    }
    for name in ("mid", "long"):  # a per-minute rate: weighted points over weighted minutes
        minutes = ewm[f"ewm_minutes_{name}"]
        ewm[f"ewm_ppm_{name}"] = ewm[f"ewm_points_{name}"] / np.where(minutes > 0, minutes, np.nan)
    season = pd.DataFrame(
        {
            "games": r.games_before,
            "points": r[f"points_avg_last_{LONG_WINDOW}"],
            "minutes": r[f"minutes_avg_last_{LONG_WINDOW}"],
            "recent_minutes": ewm_minutes,
        }
    )
    return (
        players[PLAYER_KEYS]
        .reset_index(drop=True)
        .assign(
            games_before=r.games_before,
            points_avg_last_5=r.points_avg_last_5,
            points_avg_last_10=r.points_avg_last_10,
            points_avg_season=r[f"points_avg_last_{LONG_WINDOW}"],
            points_std_last_10=r.points_std_last_10,
            minutes_avg_last_5=r.minutes_avg_last_5,
            minutes_avg_last_10=r.minutes_avg_last_10,
            games_in_last_7_days=games_in_window(
                history, _targets(players, "player_lookup"), "player_lookup", 7
            ),
            ppm_avg_last_10=r.points_avg_last_10 / r.minutes_avg_last_10.replace(0, np.nan),
            usage_avg_last_5=r.usage_rate_avg_last_5,
            usage_avg_last_10=r.usage_rate_avg_last_10,
            ts_avg_last_10=r.ts_pct_avg_last_10,
            points_avg_last_3=r.points_avg_last_3,
            points_last_game=r.points_avg_last_1,
            points_avg_last_20=r.points_avg_last_20,
            minutes_avg_last_3=r.minutes_avg_last_3,
            minutes_last_game=r.minutes_avg_last_1,
            minutes_avg_long=r[f"minutes_avg_last_{LONG_WINDOW}"],
            ppm_long=season_ppm,
            ewm_points=ewm_before(this_season, targets, "player_lookup", "points", EWM_HALFLIFE),
            ewm_minutes=ewm_minutes,
            fga_avg_last_3=r.fga_avg_last_3,
            minutes_rank_last_game=r.minutes_rank_avg_last_1,
            minutes_rank_avg_last_5=r.minutes_rank_avg_last_5,
            minutes_share_last_game=r.minutes_share_avg_last_1,
            minutes_share_avg_last_5=r.minutes_share_avg_last_5,
            points_share_avg_last_5=r.points_share_avg_last_5,
            **ewm,
            **_carried(players, history, season),
            **rotation_status(
                history, players[["player_lookup", "team_abbr", "game_date"]].reset_index(drop=True)
            ),
        )
    )


def fatigue(
    days_rest: pd.Series, back_to_back: pd.Series, games_last_7: pd.Series, minutes_last_5: pd.Series
) -> pd.Series:
    """0 (fresh) to 100 (spent): back-to-backs, dense schedules and heavy recent minutes add, rest subtracts."""
    score = (
        50
        + 15 * back_to_back.astype(float)
        + 6 * (games_last_7 - 3)
        + (minutes_last_5 - 28)
        - 4 * np.minimum(days_rest, 3)
    )
    return score.clip(0, 100)


def composite_factors(
    players: pd.DataFrame,
    team_ctx: pd.DataFrame,
    zones: pd.DataFrame,
    defense: pd.DataFrame,
    cache: pd.DataFrame,
    capabilities: frozenset[str],
) -> pd.DataFrame:
    if players.empty:
        return players
    keys = ["game_id", "player_lookup"]
    p = players.merge(cache[[*keys, "usage_avg_last_5", "usage_avg_last_10"]], on=keys, how="left")
    p = p.merge(zones[[*keys, "pct_two_last_10", "pct_three_last_10", "pct_ft_last_10"]], on=keys, how="left")
    opponent = defense[
        [
            "game_id",
            "team_abbr",
            "two_pt_vs_league",
            "three_pt_vs_league",
            "ft_vs_league",
            "two_pt_allowed_last_15",
            "three_pt_allowed_last_15",
            "ft_allowed_last_15",
        ]
    ]
    opponent = opponent.rename(
        columns={c: f"opp_{c}" for c in opponent.columns if c not in ("game_id", "team_abbr")}
    )
    p = p.merge(
        opponent.rename(columns={"team_abbr": "opponent_abbr"}), on=["game_id", "opponent_abbr"], how="left"
    )
    p = p.merge(
        team_ctx[["game_id", "team_abbr", "pace_last_10", "opp_pace_last_10"]],
        on=["game_id", "team_abbr"],
        how="left",
    )
    league_pace = team_ctx.groupby("game_date")["pace_last_10"].mean()
    p["league_pace"] = p.game_date.map(league_pace)

    mismatch = 0.0
    for zone, column in (("two", "two_pt"), ("three", "three_pt"), ("ft", "ft")):
        league = p[f"opp_{column}_allowed_last_15"] - p[f"opp_{column}_vs_league"]
        mismatch = mismatch + p[f"pct_{zone}_last_10"] * p[f"opp_{column}_vs_league"] / league.replace(
            0, np.nan
        )

    if "injury_report" in capabilities:
        out = (
            p[p.injury_status.isin(OUT_STATUSES)]
            .groupby(["game_id", "team_abbr"])["usage_avg_last_10"]
            .sum()
            .rename("out_usage")
        )
        p = p.merge(out.reset_index(), on=["game_id", "team_abbr"], how="left")
        own = p.usage_avg_last_10.where(p.injury_status.isin(OUT_STATUSES), 0).fillna(0)
        p["teammates_out_usage"] = p.out_usage.fillna(0) - own
    else:
        p["teammates_out_usage"] = np.nan  # unknowable without injury reports

    return p.assign(
        fatigue_score=fatigue(
            p.days_rest, p.back_to_back.fillna(False), p.games_last_7_days, p.minutes_avg_last_5
        ),
        shot_zone_mismatch_score=100 * mismatch,
        player_pct_two=p.pct_two_last_10,
        player_pct_three=p.pct_three_last_10,
        player_pct_ft=p.pct_ft_last_10,
        opp_two_pt_vs_league=p.opp_two_pt_vs_league,
        opp_three_pt_vs_league=p.opp_three_pt_vs_league,
        opp_ft_vs_league=p.opp_ft_vs_league,
        pace_score=(p.pace_last_10 + p.opp_pace_last_10) / 2 - p.league_pace,
        team_pace_last_10=p.pace_last_10,
        usage_spike_score=(p.usage_avg_last_5 - p.usage_avg_last_10) + 0.3 * p.teammates_out_usage.fillna(0),
    )


def teammates_available(base: pd.DataFrame) -> dict[str, np.ndarray]:
    """Who else is expected on his team for the game, from the date's own feature rows (each built from
    games before the date): the blended scoring of the teammates who played the team's last game, of
    those who missed its last 1-5 (recently out: their shots are the ones to share, unlike those of a
    player gone for good), the minutes of the latter, his share of the scoring that is there and his
    rank in it."""
    streak = base.games_missed_streak.fillna(0)
    points, minutes = base.points_avg_blend.fillna(0), base.minutes_avg_blend.fillna(0)
    group = [base.game_id, base.team_abbr]
    active, recent = streak.eq(0), streak.between(1, 5)

    def teammates(value: pd.Series) -> pd.Series:  # the team's sum, without himself
        return value.groupby(group).transform("sum") - value

    active_points = teammates(points.where(active, 0))
    # his rank in the team's scoring among those who played its last game: 1 + how many of them score more
    frame = pd.DataFrame({"g": base.game_id, "t": base.team_abbr, "p": points, "row": np.arange(len(base))})
    pairs = frame.merge(frame[active.to_numpy()], on=["g", "t"], suffixes=("", "_other"))
    ahead = (pairs.p_other > pairs.p).groupby(pairs.row).sum().reindex(frame.row, fill_value=0)
    rank = 1 + ahead.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(points + active_points > 0, points / (points + active_points), np.nan)
    return {
        "team_active_points": active_points.to_numpy(),
        "team_recent_out_points": teammates(points.where(recent, 0)).to_numpy(),
        "team_recent_out_minutes": teammates(minutes.where(recent, 0)).to_numpy(),
        "team_just_out_points": teammates(points.where(streak.eq(1), 0)).to_numpy(),
        "points_share_available": share,
        "points_rank_available": rank,
        "team_active_players": teammates(active.astype(float)).to_numpy(),
    }


def feature_store(
    players: pd.DataFrame,
    team_ctx: pd.DataFrame,
    cache: pd.DataFrame,
    factors: pd.DataFrame,
    zones: pd.DataFrame,
    defense: pd.DataFrame,
    capabilities: frozenset[str],
) -> pd.DataFrame:
    """One feature vector per player and game; each feature's value, quality and source."""
    if players.empty:
        return players
    keys = ["game_id", "player_lookup"]
    # The daily cache's form columns win over the context's namesakes: they are this season's only.
    form = [c for c in cache.columns if c not in PLAYER_KEYS and c != "loaded_at"]
    base = players.drop(columns=["loaded_at", *form], errors="ignore")
    base = base.merge(cache[[*keys, *form]], on=keys, how="left")
    base = base.merge(
        factors[[*keys, "fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score"]],
        on=keys,
        how="left",
    )
    base = base.merge(
        zones[[*keys, "pct_three_last_10", "pct_ft_last_10", "pct_paint_last_10"]], on=keys, how="left"
    )
    base = base.merge(
        team_ctx[
            [
                "game_id",
                "team_abbr",
                "pace_last_10",
                "off_rating_last_10",
                "opp_pace_last_10",
                "net_rating_diff",
                "win_pct_season",
            ]
        ],
        on=["game_id", "team_abbr"],
        how="left",
    )
    opponent = defense[["game_id", "team_abbr", "def_rating_last_15", "points_allowed_vs_league"]].rename(
        columns={"team_abbr": "opponent_abbr"}
    )
    base = base.merge(opponent, on=["game_id", "opponent_abbr"], how="left")
    base = base.assign(
        injury_status_code=base.injury_status.map(INJURY_CODES).fillna(0),  # not on the report: healthy
        recent_trend=base.points_avg_last_5 - base.points_avg_last_10,
        minutes_change=base.minutes_avg_last_5 - base.minutes_avg_last_10,
        back_to_back=base.back_to_back.astype(float),
        is_home=base.is_home.astype(float),
        has_prop_line=base.has_prop_line.astype(float),
        missed_last_team_game=base.missed_last_team_game.astype(float),
        exp_points_ewm=base.ppm_long * base.ewm_minutes,
        exp_points_recent=base.ppm_avg_last_10 * base.minutes_avg_last_3,
        exp_points_last_game=base.ppm_long * base.minutes_last_game,
        exp_points_share=base.points_share_avg_last_5 * base.off_rating_last_10 * base.pace_last_10 / 100,
        exp_points_long_rate=base.ewm_ppm_long * base.ewm_minutes_short,
        exp_points_mid_rate=base.ewm_ppm_mid * base.ewm_minutes,
    )
    base = base.assign(**teammates_available(base))
    identity = [
        "game_id",
        "game_date",
        "player_lookup",
        "team_abbr",
        "player_name",
        "opponent_abbr",
        "injury_status",
    ]
    columns: dict[str, pd.Series | float | str] = {}  # built apart and joined once: ~170 columns
    has_line = base.has_prop_line.fillna(0).astype(bool)
    # Before his first game of the season a player's season windows are empty; last season stands in.
    carried = base.prev_season_games.fillna(0) > 0
    season_start = base.games_before.fillna(0).eq(0) & carried
    carry_quality = QUALITY["carry"] * DECAY ** (base.seasons_since_prev - 1)
    defaulted = pd.Series(0, index=base.index)
    unavailable = pd.Series(0, index=base.index)
    qualities = []
    for f in FEATURES:
        value = pd.to_numeric(base[f.column], errors="coerce").astype(float)
        if f.needs and f.needs not in capabilities:
            columns |= {f.name: np.nan, quality_column(f.name): np.nan, source_column(f.name): "unavailable"}
            unavailable += 1
            continue
        source = pd.Series(f.table, index=base.index)
        quality = pd.Series(QUALITY[f.kind], index=base.index)
        if f.kind == "vegas":  # no line is a fact about the player, not a gap in the data
            source = source.where(has_line, "no_line")
            quality = quality.where(has_line, QUALITY["no_line"])
            value = value.where(has_line, 0.0 if f.name == "has_vegas_line" else np.nan)
            missing = has_line & value.isna()
        elif f.kind == "carry":  # no earlier season for him in the warehouse: a fact, not a gap
            source = source.where(carried, "no_earlier_season").where(~carried, "previous_season")
            quality = carry_quality.where(carried, QUALITY["no_earlier_season"])
            missing = pd.Series(False, index=base.index)
        elif f.name in SEASON_WINDOWS:
            fresh = season_start & value.isna()
            source = source.where(~fresh, "season_start")
            quality = quality.where(~fresh, QUALITY["season_start"])
            missing = value.isna() & ~fresh
        else:
            missing = value.isna()
        if f.default is not None:
            value = value.where(~missing, f.default)
        defaulted += missing.astype(int)
        columns |= {
            f.name: value,
            quality_column(f.name): quality.where(~missing, QUALITY["default"]),
            source_column(f.name): source.where(~missing, "default"),
        }
        qualities.append(columns[quality_column(f.name)])
    columns |= {
        "feature_count": len(FEATURES) - unavailable,
        "default_feature_count": defaulted,
        "unavailable_feature_count": unavailable,
        "feature_quality_score": pd.concat(qualities, axis=1).mean(axis=1) if qualities else np.nan,
        "is_quality_ready": defaulted <= MAX_DEFAULTED_FEATURES,
    }
    out = pd.concat([base[identity], pd.DataFrame(columns, index=base.index)], axis=1)
    return out
