"""treadle.pipeline.matcher re-exports the matchers of treadle.matcher."""

from __future__ import annotations


def test_pipeline_import_path_is_the_same_class():
    from treadle import matcher
    from treadle.pipeline.matcher import Matcher as PipelineMatcher
    from treadle.pipeline.matcher import PhraseMatcher as PipelinePhraseMatcher

    assert PipelineMatcher is matcher.Matcher
    assert PipelinePhraseMatcher is matcher.PhraseMatcher
