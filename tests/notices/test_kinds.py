"""Kinds of meetings and notices (issue #19): inferred from the title or the files' names, changed by the
issuer or a manager, kept in the history, counted in the summary and the digest."""

from __future__ import annotations

import pytest

from domain.notices import rules
from domain.notices.rules import Refusal
from domain.outcome import Refused
from storage.enums import NoticeCategory as C
from storage.enums import NoticeKind, NoticeStatus
from storage.models import Notice

M, N = NoticeKind.MEETING, NoticeKind.NOTICE


@pytest.mark.parametrize(
    ("kind", "title", "files", "expected"),
    [
        (M, "12月安全生产例会", (), C.REGULAR),
        (M, "安全生产工作会议", (), C.REGULAR),  # names no kind: a 例会
        (M, "消防安全百日攻坚动员会", (), C.MOBILISATION),
        (M, "安全生产大检查部署动员大会", (), C.MOBILISATION),
        (M, "危化品专题会", (), C.MOBILISATION),
        (M, "特种设备安全培训会", (), C.TRAINING),
        (M, "11月例会暨消防培训", (), C.REGULAR),  # a 例会 that also trains is still the monthly meeting
        (N, "关于做好元旦期间安全生产工作的通知", (), C.PLAIN),
        (N, "关于印发《消防安全百日攻坚行动方案》的通知", (), C.PLAN),  # the cover letter is not the kind
        (N, "关于印发安全生产大检查实施方案的通知", (), C.PLAN),
        (N, "园区生产安全事故应急预案", (), C.EMERGENCY_PLAN),
        (N, "关于印发《应急预案演练方案》的通知", (), C.PLAN),  # the noun it ends on
        (N, "安全生产奖惩制度", (), C.REGULATION),
        (N, "隐患排查治理管理办法", (), C.REGULATION),
        (N, "关于11月隐患整改情况的通报", (), C.BULLETIN),
        (N, "请查收附件", ("有限空间作业专项整治方案.pdf",), C.PLAN),
        (N, "请查收附件", ("防汛应急预案.docx", "签到表.xlsx"), C.EMERGENCY_PLAN),
        (N, "请查收附件", ("签到表.xlsx",), C.PLAIN),
        (N, "关于印发《值班制度》的通知", ("防汛方案.pdf",), C.REGULATION),  # 《…》 in the title comes first
        (N, "", (), C.PLAIN),
        (M, "", (), C.REGULAR),
    ],
)
def test_the_kind_is_inferred_from_the_title_or_the_files(
    kind: NoticeKind, title: str, files: tuple[str, ...], expected: C
) -> None:
    assert rules.infer_category(kind, title, files) == expected


def test_meetings_and_notices_have_their_own_kinds() -> None:
    assert rules.categories_of(M) == (C.REGULAR, C.MOBILISATION, C.TRAINING, C.OTHER)
    assert rules.categories_of(N) == (C.PLAIN, C.PLAN, C.EMERGENCY_PLAN, C.REGULATION, C.BULLETIN)
    assert rules.default_category(M) == C.REGULAR
    assert rules.default_category(N) == C.PLAIN


@pytest.mark.parametrize(
    ("kind", "status", "category", "refusal"),
    [
        (M, NoticeStatus.OPEN, C.MOBILISATION, None),
        (
            M,
            NoticeStatus.CANCELLED,
            C.OTHER,
            None,
        ),  # a cancelled meeting keeps its history, and its kind may be fixed
        (M, NoticeStatus.OPEN, C.PLAN, Refusal.WRONG_CATEGORY),
        (N, NoticeStatus.OPEN, C.PLAN, None),
        (N, NoticeStatus.OPEN, C.REGULAR, Refusal.WRONG_CATEGORY),
        (N, NoticeStatus.WITHDRAWN, C.PLAN, Refusal.WITHDRAWN),
    ],
)
def test_which_kind_may_be_set(
    kind: NoticeKind, status: NoticeStatus, category: C, refusal: Refusal | None
) -> None:
    notice = Notice(id=1, code="TZ-2026-01", kind=kind, status=status)
    if refusal is None:
        rules.check_category(notice, category)
    else:
        with pytest.raises(Refused) as caught:
            rules.check_category(notice, category)
        assert caught.value.reason == refusal
