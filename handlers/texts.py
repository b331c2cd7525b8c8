"""Every text a user reads, in Simplified Chinese, in one place.

A second language would be a sibling module with the same names, chosen at assembly.
"""

from __future__ import annotations

from collections.abc import Iterable

ROLE_NAMES = {
    "admin": "管理员",
    "manager": "包片干部",
    "inspector": "检查专家",
    "lead": "安全负责人",
    "member": "企业员工",
}
ROLE_WORDS = {
    "admin": "admin",
    "管理员": "admin",
    "manager": "manager",
    "包片干部": "manager",
    "干部": "manager",
    "inspector": "inspector",
    "专家": "inspector",
    "检查专家": "inspector",
    "lead": "lead",
    "负责人": "lead",
    "安全负责人": "lead",
    "member": "member",
    "员工": "member",
    "企业员工": "member",
}

NO_ROLE = "未登记"

SORRY = "抱歉，处理这条消息时出错了，已记录下来，没有做任何改动。请稍后再试，或联系管理员。"
UNKNOWN_COMMAND = "没有 /{command} 这个命令。发送 /help 查看您可以使用的命令。"
PLAIN_TEXT_HINT = "请用命令和我交流，例如 /help 查看您可以使用的命令。"
CARD_REPLY_HINT = "这张卡片不需要回复文字；请使用卡片上的按钮，或发送 /help 查看命令。"
BUTTON_STALE = "这个按钮已失效或无效，没有做任何改动。"
TEXT_TOO_LONG = "内容太长了（最多 {limit} 个字），请精简后重新发送。"


def role_name(role: str | None) -> str:
    """Return the Chinese name of a role."""
    return ROLE_NAMES.get(role or "", NO_ROLE)


def need_role(roles: Iterable[str], current: str | None) -> str:
    """Say which roles an action needs, and what the person has now."""
    names = "、".join(role_name(r) for r in roles)
    hint = "" if current else "\n如果您是园区企业的人员，请先发送 /join <企业名称> 申请加入。"
    return f"这个操作需要以下身份之一：{names}。您目前的身份是：{role_name(current)}。{hint}"


# --- /start, /help, /whoami -------------------------------------------------------------------

START = (
    "您好，{name}！我是{park}的安全生产小助手。\n"
    "我负责会议通知回执、专项行动任务、隐患随手拍和整改销号台账。\n"
    "发送 /help 查看您可以使用的命令。"
)
START_STRANGER = "\n您还没有登记身份：请发送 /join <企业名称> 申请成为该企业的安全负责人或员工。"
HELP_HEADER = "您的身份：{role}。您可以使用以下命令："
HELP_FOOTER = "在群里，请用命令开头发送消息，或直接回复我的卡片。"
WHOAMI = "姓名：{name}\n身份：{role}\n所属企业：{enterprise}\n平台账号：{key}"
WHOAMI_PENDING = "\n待审批的申请：{enterprise}（{role}）"
NONE = "无"

HELP = {
    "start": "/start — 开始使用",
    "help": "/help — 查看可用命令",
    "whoami": "/whoami — 查看我的身份",
    "join": "/join <企业名称> [负责人|员工] — 申请加入企业",
    "enterprises": "/enterprises — 园区企业名单",
    "enterprise_add": "/enterprise_add <名称> [别名…] — 新增企业",
    "role": "/role <人员> <admin|manager|inspector|lead|member> [企业] — 设置身份",
    "setgroup": "/setgroup — 在群里发送，将本群设为园区安全群",
    "hazard": "/hazard <描述> [限期 12月10日|立即整改] — 随照片上报隐患；/hazard YH-… 查看详情",
    "hazards": "/hazards [overdue|mine|<企业>] — 隐患列表",
    "fix": "/fix [YH-…] <整改情况> — 随照片提交整改（或回复隐患卡片）",
    "five": "/five YH-… 责任人=… 措施=… 资金=… 时限=… 预案=… — 补全重大隐患五落实",
    "cancel": "/cancel — 取消当前未完成的操作",
}

# --- enterprises ------------------------------------------------------------------------------

ENTERPRISES_EMPTY = "园区还没有登记企业。管理员可用 /enterprise_add <名称> 添加。"
ENTERPRISES_HEADER = "{park}企业名单（共 {count} 家）："
ENTERPRISE_LINE = "{n}. {name}{aliases}{industry}"
ENTERPRISE_ADD_USAGE = (
    "用法：/enterprise_add <企业名称> [别名…]\n例如：/enterprise_add 华油装备制造有限公司 华油 华油装备"
)
ENTERPRISE_EXISTS = "“{name}”已在企业名单中，没有重复添加。"
ENTERPRISE_ADDED = "已添加企业：{name}{aliases}。现在园区共 {count} 家企业。"
NAME_TOO_LONG = "企业名称最多 {limit} 个字，请缩短后重试。"

# --- roles ------------------------------------------------------------------------------------

ROLE_USAGE = (
    "用法：/role <人员> <角色> [企业]\n"
    "人员：@用户名、姓名或平台账号；角色：admin 管理员、manager 包片干部、inspector 检查专家、"
    "lead 安全负责人、member 企业员工（后两者需写企业）。\n"
    "例如：/role @zhangsan lead 华油装备"
)
ROLE_UNKNOWN_ROLE = "不认识角色“{word}”。可选：admin、manager、inspector、lead、member（或中文：管理员、包片干部、检查专家、负责人、员工）。"
ROLE_PERSON_NOT_FOUND = "没有找到人员“{who}”。对方需要先给我发过消息（例如 /start）才能被设置身份。"
ROLE_PERSON_AMBIGUOUS = "“{who}”对应多个人：{names}。请用 @用户名 或平台账号指定。"
ROLE_NEEDS_ENTERPRISE = "{role}必须属于一家企业，请在命令最后写上企业名称。"
ROLE_SET = "已将 {name} 设为{role}{enterprise}。"
ROLE_SET_NOTICE = "管理员已将您的身份设为{role}{enterprise}。发送 /help 查看可用命令。"
IN_ENTERPRISE = "（{name}）"

# --- enterprise matching ----------------------------------------------------------------------

ENTERPRISE_NOT_FOUND = "没有找到企业“{text}”。发送 /enterprises 查看园区企业名单。"
ENTERPRISE_PICK = "“{text}”对应多家企业，请点选您指的是哪一家："

# --- join -------------------------------------------------------------------------------------

JOIN_USAGE = "用法：/join <企业名称> [负责人|员工]\n例如：/join 华油装备 负责人\n不写身份时按企业员工申请。"
JOIN_ALREADY = "您已经是{enterprise}的{role}，不需要再申请。"
JOIN_PRIVILEGED = "您的身份是{role}，不属于某家企业，无需申请加入。"
JOIN_SENT = "已提交申请：加入{enterprise}，身份为{role}。管理员审批后我会通知您。"
JOIN_NO_ADMIN = "已提交申请，但目前没有可以私聊通知的管理员，请提醒管理员查看。"
JOIN_CARD_TITLE = "加入申请"
JOIN_FIELD_PERSON = "申请人"
JOIN_FIELD_ENTERPRISE = "企业"
JOIN_FIELD_ROLE = "身份"
JOIN_STATUS_PENDING = "待审批"
JOIN_STATUS_APPROVED = "已批准（{by}）"
JOIN_STATUS_REJECTED = "已拒绝（{by}）"
JOIN_STATUS_WITHDRAWN = "已被新的申请取代"
BTN_APPROVE = "批准"
BTN_REJECT = "拒绝"
JOIN_DONE_TOAST = "已处理：{status}"
JOIN_ALREADY_DECIDED = "这条申请已经处理过了（{status}），没有重复处理。"
JOIN_APPROVED_NOTICE = "您加入{enterprise}的申请已获批准，身份：{role}。发送 /help 查看可用命令。"
JOIN_REJECTED_NOTICE = "您加入{enterprise}的申请未获批准。如有疑问请联系园区应急办。"

# --- groups -----------------------------------------------------------------------------------

SETGROUP_NOT_GROUP = "请在园区安全群里发送 /setgroup，而不是在私聊中。"
SETGROUP_DONE = "已将本群（{title}）设为园区安全群：会议通知、专项行动和隐患卡片会发到这里。"
SETGROUP_ALREADY = "本群已经是园区安全群。"
