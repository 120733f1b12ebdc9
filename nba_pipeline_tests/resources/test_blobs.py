import pytest

from nba_pipeline.resources.blobs import BlobStoreResource, GcsBlobStore, LocalBlobStore


def test_replace_folder_leaves_exactly_the_new_files(tmp_path):
    store = LocalBlobStore(tmp_path)
    store.replace_folder("boxscores/2024-01-15", {"a.json": b"1", "b.json": b"22"})
    assert store.replace_folder("boxscores/2024-01-15", {"c.json": b"333"}) == 3
    assert store.list("boxscores/2024-01-15") == ["boxscores/2024-01-15/c.json"]
    assert store.read("boxscores/2024-01-15/c.json") == b"333"
    assert store.list("boxscores/2024-01-16") == []


def test_replacing_a_folder_with_nothing_removes_it_and_the_parents_it_leaves_empty(tmp_path):
    store = LocalBlobStore(tmp_path / "landing")
    store.write("_staged/c1/2024-01-15/schedule/payloads.json", b"[]")
    store.write("_staged/c1/2024-01-15/boxscores/payloads.json", b"[]")
    store.replace_folder("_staged/c1/2024-01-15/schedule", {})
    assert sorted(p.name for p in (tmp_path / "landing/_staged/c1/2024-01-15").iterdir()) == ["boxscores"]
    store.replace_folder("_staged/c1/2024-01-15/boxscores", {})
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == []  # the store's root stays
    store.replace_folder("never/written", {})  # nothing there: nothing to do


def test_paths_cannot_escape_the_store(tmp_path):
    with pytest.raises(ValueError, match="escapes the store"):
        LocalBlobStore(tmp_path / "landing").write("../outside.json", b"x")


def test_the_resource_picks_gcs_or_a_folder(tmp_path):
    assert isinstance(BlobStoreResource(local_root=str(tmp_path)).get(), LocalBlobStore)
    gcs = BlobStoreResource(gcs_bucket="nba-scraped-data", gcs_prefix="landing").get()
    assert (
        isinstance(gcs, GcsBlobStore)
        and gcs.uri("schedule/2024-01-15/schedule.json")
        == "gs://nba-scraped-data/landing/schedule/2024-01-15/schedule.json"
    )
    with pytest.raises(ValueError, match="needs local_root or gcs_bucket"):
        BlobStoreResource().get()
