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
PHOTO_NOT_SAVED_RETRY = "照片暂时无法保存（机器人的存储出了问题），这条消息已经收下，存储恢复后会自动处理，无需重发。"
DB_UNAVAILABLE = "抱歉，数据库暂时无法访问，这条消息没有处理。请稍后再发一次。"
UNKNOWN_COMMAND = "没有 /{command} 这个命令。发送 /help 查看您可以使用的命令。"
UNKNOWN_COMMAND_CLOSE = "没有 /{command} 这个命令。您是不是要找：{close}？发送 /help 查看全部命令。"
PLAIN_TEXT_HINT = "请用命令和我交流，例如 /help 查看您可以使用的命令。"
CARD_REPLY_HINT = "这张卡片不需要回复文字；请使用卡片上的按钮，或发送 /help 查看命令。"
BUTTON_STALE = "这个按钮已失效或无效，没有做任何改动。"


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
    "我负责隐患的上报（随手拍）、整改和验收销号，并记好隐患台账，随时可以查看隐患列表。\n"
    "发送 /help 查看您可以使用的命令。"
)
START_STRANGER = "\n您还没有登记身份：请发送 /join <企业名称> 申请成为该企业的安全负责人或员工。"
HELP_HEADER = "您的身份：{role}。您可以使用以下命令："
HELP_GROUP = "您的身份：{role}。在群里常用：\n{lines}\n私聊我 /help 查看全部命令。"
HELP_GROUP_LINES = {
    "join": "/join <企业名称> [负责人|员工] — 申请加入企业",
    "hazard": "随照片发 /hazard <描述> [限期 12月10日] — 上报隐患",
    "fix": "回复隐患卡片，随照片发 /fix <整改情况> — 提交整改",
    "verify": "点卡片上的“验收通过”或“驳回” — 验收整改",
    "hazards": "/hazards [逾期|我的|<企业>] — 隐患列表",
}
HELP_VERIFY = (
    "验收：企业提交整改后，隐患卡片会私聊发给您（群里的卡片也会更新），点“验收通过”或“驳回”（再回复驳回原因）；"
    "也可以发送 /accept YH-… 或 /reject YH-… <原因>。重大隐患须五落实齐全才能验收销号。"
    "待验收的隐患：/hazards 待验收。"
)
HELP_RECHECK = (
    "复查：本园区允许检查专家复查自己发现的隐患。企业提交整改后，卡片会私聊发给您，点“验收通过”或“驳回”；"
    "也可以发送 /accept YH-… 或 /reject YH-… <原因>。隐患销号后您会收到通知。"
)
HELP_FOOTER = (
    "在群里，请用命令开头发送消息，或直接回复我的卡片；卡片上的每个按钮也都可以用带隐患编号的命令完成。\n"
    "完整的使用说明见《园区安全生产群机器人使用指南》（项目 docs/guide.md，可向管理员索取）。"
)
WHOAMI = "姓名：{name}\n身份：{role}\n所属企业：{enterprise}\n平台账号：{key}"
WHOAMI_PENDING = "\n待审批的申请：{enterprise}（{role}）"
NONE = "无"

HELP = {
    "start": "/start — 开始使用，并查看我的待办",
    "todo": "/todo（/待办）— 我的待办：待验收的整改、待回执的通知、待提交或待审核的自查报告、即将到期的隐患",
    "help": "/help（/帮助）— 查看可用命令；中文命令和以 ／ 或 、 开头的命令在私聊中同样可用",
    "whoami": "/whoami — 查看我的身份",
    "join": "/join <企业名称> [负责人|员工] — 申请加入企业",
    "enterprises": "/enterprises — 园区企业名单",
    "enterprise_add": "/enterprise_add <名称> [别名…] — 新增企业",
    "role": "/role <人员> <admin|manager|inspector|lead|member|无> [企业] — 设置或取消身份",
    "people": "/people [企业] — 企业人员及身份名单",
    "setgroup": "/setgroup — 在群里发送，将本群设为园区安全群",
    "hazard": "/hazard（/隐患）<描述> [限期 12月10日|立即整改] — 随照片上报隐患；/hazard YH-… 查看详情",
    "hazards": "/hazards（/隐患列表）[逾期|我的|待验收|已销号|重大|<类别>|本月|上月|2026-11|<企业>] [第2页] — 隐患列表",
    "fix": "/fix（/整改）[YH-…] <整改情况> — 随照片提交整改（或回复隐患卡片）",
    "five": "/five YH-… 责任人=… 措施=… 资金=… 时限=… 预案=… — 补全重大隐患五落实",
    "due": "/due YH-… <期限|立即整改> — 设定整改期限（同卡片上的期限按钮）",
    "level": "/level YH-… <重大|一般> — 调整隐患等级",
    "category": "/category YH-… <类别> — 调整隐患类别",
    "accept": "/accept（/验收）YH-… — 验收通过并销号（同“验收通过”按钮）",
    "reject": "/reject（/驳回）YH-… <原因> — 驳回整改（同“驳回”按钮）",
    "unfix": "/unfix YH-… [原因] — 撤回自己提交、尚未验收的整改",
    "extend": "/extend YH-… <新期限> <原因> — 企业申请延期，由管理人员审批",
    "extend_ok": "/extend_ok YH-… — 同意延期申请（同“同意”按钮）",
    "extend_no": "/extend_no YH-… [原因] — 不同意延期申请（同“不同意”按钮）",
    "withdraw": "/withdraw YH-… <原因> 或 /withdraw YH-… 重复 YH-… — 撤销误报或重复上报（上报人或管理人员）",
    "edit": "/edit YH-… <新描述> — 上报人修改隐患描述（验收前）",
    "location": "/location YH-… <部位> — 上报人填写或修改隐患部位，如 二车间配电室（验收前）",
    "cancel": "/cancel — 取消当前未完成的操作",
    "search": "/search <关键词> — 按描述或编号查找隐患（本企业人员只查本企业）",
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
    "lead 安全负责人、member 企业员工（后两者需写企业）；写“无”则取消身份。\n"
    "例如：/role @zhangsan lead 华油装备，/role @zhangsan 无"
)
ROLE_UNKNOWN_ROLE = "不认识角色“{word}”。可选：admin、manager、inspector、lead、member（或中文：管理员、包片干部、检查专家、负责人、员工），或“无”取消身份。"
ROLE_PERSON_NOT_FOUND = "没有找到人员“{who}”。对方需要先给我发过消息（例如 /start）才能被设置身份。"
ROLE_PERSON_AMBIGUOUS = "“{who}”对应多个人：{names}。请用 @用户名 或平台账号指定。"
ROLE_NEEDS_ENTERPRISE = "{role}必须属于一家企业，请在命令最后写上企业名称。"
ROLE_SET = "已将 {name} 设为{role}{enterprise}。"
ROLE_SET_NOTICE = "管理员已将您的身份设为{role}{enterprise}。发送 /help 查看可用命令。"
IN_ENTERPRISE = "（{name}）"
ROLE_NONE_WORDS = ("无", "none", "取消")
ROLE_REMOVED = "已取消 {name} 的身份（原为{role}{enterprise}）。"
ROLE_REMOVED_NOTICE = "管理员已取消您在机器人中的身份。如有疑问请联系园区应急办。"
PEOPLE_HEADER = "{title}（共 {count} 人）："
PEOPLE_TITLE_PARK = "园区人员名单"
PEOPLE_TITLE_ENTERPRISE = "{enterprise} 人员名单"
PEOPLE_GROUP = "【{name}】"
PEOPLE_PARK_STAFF = "园区管委会及专家"
PEOPLE_LINE = "{name}（{role}）"
PEOPLE_EMPTY = "{title}：暂无登记人员。"
PEOPLE_NOT_OWN = "您只能查看本企业（{enterprise}）的人员。"

# --- officers per enterprise (包片包户, /officer) -------------------------------------------------------

OFFICER_HELP = "/officer（/包联）[<企业…> <干部|无>] — 包片包户：查看各企业的包片干部；管理员指定或取消"
OFFICER_USAGE = (
    "用法：/officer <企业…> <干部>，或 /officer <企业…> 无（取消）；只写 /officer 查看名单。\n"
    "企业写全称或别名，可写多家，用空格或顿号隔开；干部写 @用户名、姓名或平台账号，须是包片干部（manager）或管理员。\n"
    "例如：/officer 华油 李干部、/officer 华油 宏达 李干部、/officer 华油 无"
)
OFFICER_ONLY_ADMIN = "只有管理员可以指定或取消包片干部。发送 /officer 可查看包片包户名单。"
OFFICER_NOT_MANAGER = (
    "{name} 的身份是{role}，不能担任包片干部：只有身份为包片干部（manager）或管理员的人才能包联企业。"
    "可先发送 /role {name} manager 设置身份。"
)
OFFICER_INACTIVE = "{enterprise}已不在园区企业名单中，不能指定包片干部。"
OFFICER_SET = "已指定 {name} 为包片干部，包联：{enterprises}。{before}"
OFFICER_SET_BEFORE = "（{enterprise}原由 {name} 包联）"
OFFICER_SAME = "{name} 已经是{enterprises}的包片干部，没有变化。"
OFFICER_REMOVED = "已取消{enterprises}的包片干部{before}。"
OFFICER_REMOVED_BEFORE = "（原为 {names}）"
OFFICER_NONE_ALREADY = "{enterprises}本来就没有包片干部，没有变化。"
OFFICER_SET_NOTICE = (
    "{by} 指定您为以下企业的包片干部：{enterprises}。这些企业的隐患逾期会先提醒您，"
    "发送 /todo 可查看“我包联的企业”。"
)
OFFICER_REMOVED_NOTICE = "{by} 已取消您对以下企业的包联：{enterprises}。"
OFFICER_LIST_HEADER = "包片包户名单（包片干部 {officers} 人，包联企业 {assigned}/{total} 家）："
OFFICER_LIST_LINE = "· {name}：{enterprises}"
OFFICER_LIST_NONE = "尚未指定包片干部的企业（{count} 家）：{enterprises}"
OFFICER_LIST_ALL_SET = "每家企业都已指定包片干部。"
OFFICER_LIST_EMPTY = "园区还没有登记企业。管理员可用 /enterprise_add <名称> 添加。"
OFFICER_LIST_HINT = "管理员可发送 /officer <企业…> <干部> 指定包片干部。"

# --- enterprise matching ----------------------------------------------------------------------

ENTERPRISE_NOT_FOUND = "没有找到企业“{text}”。发送 /enterprises 查看园区企业名单。"
ENTERPRISE_PICK = "没有名称或别名正好是“{text}”的企业。请点选您指的是哪一家："
ENTERPRISE_WRITE_EXACT = "没有名称或别名正好是“{text}”的企业。您指的是不是：{names}？请写全称或括号里的别名后重新发送。"

# --- join -------------------------------------------------------------------------------------

JOIN_USAGE = "用法：/join <企业名称> [负责人|员工]\n例如：/join 华油装备 负责人\n不写身份时按企业员工申请。"
JOIN_ALREADY = "您已经是{enterprise}的{role}，不需要再申请。"
JOIN_PRIVILEGED = "您的身份是{role}，不属于某家企业，无需申请加入。"
JOIN_SENT = "已提交申请：加入{enterprise}，身份为{role}。管理员或该企业的安全负责人审批后我会通知您。"
JOIN_NOT_YOURS = "您只能审批加入本企业（{enterprise}）的申请。"
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
JOIN_STALE = "这条申请已不适用（申请人的身份已变更，或该企业已不在园区名单中），没有批准。"
JOIN_DONE_TOAST = "已处理：{status}"
JOIN_ALREADY_DECIDED = "这条申请已经处理过了（{status}），没有重复处理。"
JOIN_APPROVED_NOTICE = "您加入{enterprise}的申请已获批准，身份：{role}。发送 /help 查看可用命令。"
JOIN_REJECTED_NOTICE = "您加入{enterprise}的申请未获批准。如有疑问请联系园区应急办。"
JOIN_APPROVED_GROUP = "{name} 加入{enterprise}的申请已获批准，身份：{role}（{by}审批）。私聊我发送 /help 查看可用命令。"
JOIN_REJECTED_GROUP = "{name} 加入{enterprise}的申请未获批准（{by}审批）。如有疑问请联系园区应急办。"

# --- groups -----------------------------------------------------------------------------------

SETGROUP_NOT_GROUP = "请在园区安全群里发送 /setgroup，而不是在私聊中。"
SETGROUP_DONE = "已将本群（{title}）设为园区安全群：隐患卡片和整改、验收的进展会发到这里。"
SETGROUP_ALREADY = "本群已经是园区安全群。"

# --- hazards ----------------------------------------------------------------------------------

CATEGORY_NAMES = {
    "fire": "消防安全",
    "electrical": "用电安全",
    "special_equipment": "特种设备",
    "hazardous_chemicals": "危险化学品",
    "machinery": "机械设备",
    "housekeeping": "现场管理",
    "other": "其他",
}
LEVEL_NAMES = {"general": "一般隐患", "major": "重大隐患"}
MODE_NAMES = {"immediate": "立即整改", "deadline": "限期整改", None: "待定"}
SOURCE_NAMES = {"snapshot": "随手拍", "inspection": "检查发现", "campaign": "专项行动"}
STATUS_NAMES = {
    "reported": "待整改",
    "rectifying": "整改中",
    "awaiting_verification": "待验收",
    "closed": "已销号",
    "withdrawn": "已撤销",
}
OVERDUE = "已逾期 {days} 天"
FIVE_FIELDS = {
    "responsible": "责任人",
    "measures": "措施",
    "funds": "资金",
    "deadline": "时限",
    "plan": "预案",
}
WEEKDAYS = "一二三四五六日"

HAZARD_CARD_TITLE = "隐患 {code}"
F_ENTERPRISE = "企业"
F_DESCRIPTION = "描述"
F_LOCATION = "部位"
F_CATEGORY = "类别"
F_LEVEL = "等级"
F_MODE = "整改方式"
F_DUE = "整改期限"
F_REPORTER = "上报人"
F_FOUND = "发现时间"
F_PHOTOS = "照片"
F_FIVE = "五落实"
F_FIX = "整改情况"
F_REJECT = "驳回原因"
F_VERIFIED = "验收"
PHOTOS_COUNT = "整改前 {before} 张，整改后 {after} 张"
FIVE_MISSING = "未完成，缺：{missing}"
FIVE_DONE = "已落实"
VERIFIED_BY = "{name} {at} 验收通过，已销号"
F_PHOTO_SIDES = "图片"
PHOTO_SIDES = "左：整改前 右：整改后"

BTN_IMMEDIATE = "立即整改"
BTN_DAYS = "{days}天内"
BTN_MAJOR = "设为重大隐患"
BTN_GENERAL = "设为一般隐患"
BTN_CATEGORY = "更改类别"
BTN_FIX = "提交整改"
BTN_ACCEPT = "验收通过"
BTN_REJECT_FIX = "驳回"

HAZARD_USAGE = (
    "上报隐患：发送照片，并在照片说明里写\n"
    "/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日\n"
    "也可以先发 /hazard <描述>，再按提示回复照片。\n"
    "整改方式写“立即整改”或“限期 <日期>”；重大隐患请写“重大隐患”。\n"
    "查看某条隐患：/hazard YH-2026-0007"
)
HAZARD_NEED_DESCRIPTION = (
    "请写明隐患的描述和位置，例如：/hazard 二车间配电箱门未关闭，无警示标识 限期 12月10日"
)
HAZARD_TOO_LONG = "隐患描述最多 {limit} 个字，请精简后重新发送。"
HAZARD_NEED_PHOTO = "已记下隐患“{description}”，还需要至少一张现场照片：请回复本消息发送照片（可多张），24 小时内有效。"
HAZARD_STILL_NEED_PHOTO = "还需要至少一张现场照片才能登记隐患：请回复本消息发送照片，或发送 /cancel 放弃。"
HAZARD_PICK_ENTERPRISE = "这条隐患属于哪家企业？请点选（也可以在描述里写上企业名称）："
HAZARD_DRAFT_GONE = "这条草稿已经不在了（可能已登记或已取消），请重新发送 /hazard。"
HAZARD_DRAFT_NOT_YOURS = "这是别人的隐患草稿，只有上报人本人能选择企业。"
HAZARD_NOT_OWN_ENTERPRISE = "您只能处理本企业（{enterprise}）的隐患。"
HAZARD_VIEW_NOT_OWN = "您只能查看本企业（{enterprise}）的隐患。"
HAZARD_EDIT_NOT_OWN = "您不能修改 {code}：它属于{enterprise}，您只能修改本企业（{own}）的隐患。"
HAZARD_EDIT_FOUND_BY = "您不能修改 {code}：它由{role}{reporter}发现并登记，期限、等级和类别只有上报人和管理人员能修改。"
HAZARD_EDIT_EXTEND_HINT = "如需延期，请发送 /extend {code} <新期限> <原因>。"
HAZARD_EDIT_ASK_REPORTER = "整改期限由上报人或管理人员设定，请联系他们。"
HAZARD_ENTERPRISE_INACTIVE = "该企业已不在园区在册企业名单中，不能为它登记隐患；如有疑问请联系管理员。"
HAZARD_NO_ENTERPRISE = "您的账号还没有绑定企业，请先发送 /join <企业名称> 申请加入。"
HAZARD_DUPLICATE = "提示：照片与 {codes} 的照片相同，可能是重复上报，请核实。"
EVENT_FROM_TO = "{old} → {new}"
EVENT_EXTEND_REFUSED = "申请延至 {asked}，仍为 {kept}"
EVENT_DUPLICATE_OF = "与 {code} 重复"
WITHDRAW_BAD_ORIGINAL = "{code} 不能作为重复撤销：被重复的隐患必须是同一企业、尚未撤销的隐患。"
MORE_CODES = " 等 {count} 条隐患"
HAZARD_PHOTOS_ADDED = "{code} 已补充 {count} 张{phase}照片。"
HAZARD_PHOTOS_ADDED_FIX_HINT = "\n如果这是整改后的照片，请发送 /fix {code} <整改情况>（附照片），或点卡片上的“提交整改”。"
PHASE_NAMES = {"before": "整改前", "after": "整改后"}
DUE_UNREADABLE = (
    "没看懂整改期限“{text}”。可以这样写：2026-12-10、12-10、12月10日、12月10日前、3天内、下周五、本月底；"
    "当场整改请写“立即整改”。\n隐患已登记，请点卡片上的期限按钮，或回复卡片写期限。"
)
DUE_PAST = (
    "整改期限“{text}”已经过去了，请写今天或以后的日期，例如 12月10日、3天内、下周五、本月底。\n"
    "隐患已登记，请点卡片上的期限按钮，或发送 /due 编号 期限（也可以回复卡片写期限）。"
)
DUE_SET = "{code} 整改期限已设为 {due}。"
DUE_SET_IMMEDIATE = "{code} 已设为立即整改。"
DUE_ALREADY_SET = (
    "{code} 的整改期限已经设定（{due}），不能再用按钮或 /due 更改；"
    "如需延期，请发送 /extend {code} <新期限> <原因>，由管理人员审批。"
)
DUE_CHANGED = "{code} 整改期限已由 {old} 改为 {new}。"
FIVE_ASK = (
    "{code} 是重大隐患，需要五落实（责任人、措施、资金、时限、预案）。请发送（也可以回复隐患卡片，省略编号）：\n"
    "/five {code} 责任人=张三 措施=停用并更换配电箱 资金=2万元 时限=12月20日 预案=已制定临时停电预案"
)
FIVE_USAGE = (
    "用法：回复隐患卡片发送 /five 责任人=… 措施=… 资金=… 时限=… 预案=…，或 /five YH-2026-0007 责任人=…"
)
FIVE_SAVED = "{code} 五落实已更新：\n{stored}\n{rest}"
FIVE_STORED_LINE = "{name}：{value}"
FIVE_BAD_SEPARATOR = "“{name}”后面只写一个等号或冒号，例如 {name}=张三，请改正后重新发送。"
FIVE_EMPTY_VALUE = "“{name}”没有填写内容，例如 {name}=张三，请补全后重新发送。"
FIVE_TWICE = "“{name}”写了两次，请只写一次后重新发送。"
FIVE_DEADLINE_LATE = "{code} 的五落实时限“{value}”晚于整改期限 {due}，请写在整改期限之前的日期（如需延期请先申请延期）。"
FIVE_STILL_MISSING = "还缺：{missing}。"
FIVE_COMPLETE = "五落实已全部落实。"
FIVE_NOT_MAJOR = "{code} 是一般隐患，不需要五落实。"

PHOTO_TOO_LARGE = "图片太大（超过 {limit} MB），平台不允许机器人下载。请压缩后重新发送。"
PHOTO_NOT_IMAGE = "只接受图片（jpg、png、heic 等）作为隐患和整改照片；校验报告、检测报告等文件只接受 PDF。"
PHOTO_TOO_MANY_PIXELS = (
    "图片像素过多（{width}×{height}，约 {megapixels} 万像素，上限 {limit} 万像素），请缩小后重新发送。"
)
PHOTO_BROKEN = "图片不完整或已损坏（可能没有传完），无法打开，请重新发送。"
PHOTO_NOT_SAVED = "照片暂时无法保存（机器人的存储出了问题），请稍后重新发送；如一直不行，请联系园区管理员。"
PHOTO_FAILED = "有一张图片没能下载，请重新发送。"

# --- documents: PDFs (校验报告, 检测报告) kept as evidence beside the photos ---
DOCUMENT_DEFAULT_NAME = "文件.pdf"
DOCUMENT_TOO_LARGE = "文件太大（超过 {limit} MB），无法保存。请压缩或拆分后重新发送。"
DOCUMENT_BROKEN = "这个 PDF 文件不完整（可能没有传完），无法保存，请重新发送。"
F_DOCUMENTS = "文件"
DOCUMENTS_COUNT = "整改前 {before} 份，整改后 {after} 份（PDF）"
DETAIL_DOCUMENTS = "文件（{count} 份）："
DETAIL_DOCUMENT_LINE = "{phase}：{name}（{size}）"
EVENT_DOCUMENTS_DETAIL = "{phase} {count} 份"
HAZARD_DOCUMENTS_ADDED = "{code} 已补充 {count} 份{phase}文件（PDF）。"
DOCUMENT_IS_NOT_A_FIX = (
    "\n文件只作为补充材料，不算提交整改：提交整改仍需要至少一张整改后的照片，"
    "请发送 /fix {code} <整改情况>（附照片），或点卡片上的“提交整改”。"
)
FIX_DOCUMENTS_KEPT = (
    "已收到文件：{names}。提交整改还需要至少一张整改后的照片（文件不能代替照片）："
    "请回复本消息发送照片，文件会和照片一起提交；24 小时内有效。"
)
HAZARD_DOCUMENTS_KEPT = (
    "已收到文件：{names}。登记隐患还需要至少一张现场照片（文件不能代替照片）："
    "请回复本消息发送照片，文件会一起登记；24 小时内有效。"
)

HAZARD_NOT_FOUND = "没有找到隐患 {code}。编号形如 YH-2026-0007，可发送 /hazards 查看列表。"
HAZARD_WHICH = "请指明是哪条隐患：回复隐患卡片，或写上编号，例如 /fix YH-2026-0007 已加锁并张贴警示标识。"
FIX_CHOSEN = "没有写编号：已按贵企业唯一待整改的隐患 {code} 处理。如果不是这条，请用 /unfix {code} 撤回，再写上编号重新提交。"
FIX_WHICH = "贵企业有多条待整改的隐患，请写上编号（连同整改照片）重新发送，例如 /fix {code} 已整改：\n{lines}"
FIX_WHICH_LINE = "· {code} {description}"
HAZARD_HISTORY = "处理记录："
HAZARD_EVENT_LINE = "{at} {actor} {action}{note}"
EVENT_NAMES = {
    "report": "上报",
    "photos": "补充照片",
    "documents": "补充文件",
    "set_due": "设定整改期限",
    "set_level": "调整等级",
    "set_category": "调整类别",
    "five": "补充五落实",
    "fix": "提交整改",
    "accept": "验收通过，销号",
    "reject": "驳回整改",
    "unfix": "撤回整改",
    "change_due": "变更整改期限",
    "extend_ask": "申请延期",
    "extend_approve": "同意延期",
    "extend_refuse": "不同意延期",
    "withdraw": "撤销上报",
    "edit": "修改描述",
    "set_location": "填写部位",
}

PHASE_NAMES = {"before": "整改前", "after": "整改后"}
DETAIL_PHOTOS = "{phase}照片（{count} 张）："
EVENT_REPORT_DETAIL = "{level}，{category}"
EVENT_DUE_DETAIL = "，期限 {due}"
EVENT_PHOTOS_DETAIL = "{phase} {count} 张"
EVENT_FIVE_ITEM = "{name}={value}"

CATEGORY_PICK = "请选择 {code} 的类别："
CATEGORY_SET = "{code} 类别已改为 {category}。"
LEVEL_SET = "{code} 已设为{level}。"
STATE_CHANGED = "{code} 当前状态是“{status}”，这个操作已不适用。"

FIX_NEED_PHOTO = "请回复本消息，发送整改后的照片（可多张），并在照片说明里写明整改情况；24 小时内有效。"
FIX_SUBMITTED = "{code} 已提交整改，等待管理人员验收。"
FIX_RESUBMITTED = "{code} 已重新提交整改，上面的卡片已更新，请验收。"
FIX_NOT_OPEN = "{code} 当前状态是“{status}”，不能提交整改。"
ACCEPT_FIVE_MISSING = "{code} 是重大隐患，五落实还缺：{missing}，补全后才能验收销号。"
MAJOR_ALERT = "重大隐患提醒：{code}（{enterprise}）{description}，由 {actor} {how}。发送 /hazard {code} 查看详情。"
MAJOR_HOW_REPORTED = "上报为重大隐患"
MAJOR_HOW_SET = "设为重大隐患"
FILED_NOTICE = "{actor}（{source}）为贵企业登记了隐患 {code}，请按卡片安排整改。"
VERIFY_OWN_FIX = "不能验收自己提交的整改，请由其他管理人员验收。"
VERIFY_ACCEPTED = "{code} 验收通过，已销号。"
VERIFY_ACCEPTED_NOTICE = "{code}（{description}）验收通过，已销号。"
REJECT_ASK = "请回复本消息，写明驳回 {code} 的原因（会转告整改人和企业负责人）；也可以直接发送 /reject {code} <原因>。24 小时内有效。"
REJECT_ASK_TOAST = "请在聊天中写明驳回原因"
REJECT_NEED_TEXT = "驳回原因不能为空，请回复本消息写明原因。"
REJECT_DONE = "{code} 已驳回，原因已转告：{names}。"
REJECT_DONE_GROUP = "{code} 已驳回，原因已发到群里。"
REJECT_NOTICE = "{code}（{description}）验收未通过，请重新整改。\n驳回原因：{reason}"

HAZARDS_EMPTY = "没有符合条件的隐患。"
HAZARDS_HEADER = "{title}（共 {total} 条{shown}）："
HAZARDS_HEADER_MANY = "{title}（{cap:,} 条以上{shown}）："  # a search counts no further than its cap
HAZARDS_SHOWN = "，显示前 {n} 条"
HAZARDS_TITLE_OPEN = "未销号隐患"
HAZARDS_TITLE_OVERDUE = "逾期隐患"
HAZARDS_TITLE_MINE = "我上报的隐患"
HAZARDS_TITLE_ENTERPRISE = "{enterprise} 未销号隐患"
HAZARDS_TITLE_FILTERED = "隐患（{filters}）"
HAZARDS_FILTER_OPEN = "未销号"
HAZARDS_FILTER_MINE = "我上报的"
HAZARDS_FILTER_OVERDUE = "逾期"
HAZARDS_FILTER_MONTH = "{year}年{month}月发现"
HAZARDS_PAGE = "，第 {page}/{pages} 页"
HAZARDS_PAGE_BEYOND = "没有第 {page} 页了：共 {total} 条，{pages} 页。"
HAZARDS_WORD_THIS_MONTH = "本月"
HAZARDS_WORD_LAST_MONTH = "上月"
BTN_NEXT_PAGE = "下一页"
SEARCH_USAGE = "用法：/search <关键词>，在隐患描述和编号中查找，例如 /search 配电箱。"
SEARCH_TITLE = "含“{words}”的隐患"
SEARCH_NO_ENTERPRISE = "您的账号还没有绑定企业，只能查找本企业的隐患。"
PHOTO_OFFER = "收到一张照片。要把它登记为隐患吗？"
BTN_PHOTO_REGISTER = "登记隐患"
BTN_PHOTO_NO = "不用了"
PHOTO_OFFER_DECLINED = "好的，这张照片不登记。"
PHOTO_OFFER_GONE = "这张照片的登记已经过期或已处理，请重新发送照片。"
PHOTO_DESCRIBE = "请用一句话描述这处隐患（可写期限，如“限期 12月10日”或“立即整改”），直接发送即可，24 小时内有效。"
PHOTO_DESCRIBE_AGAIN = "已收下照片。请发送隐患描述（文字），或发送 /cancel 放弃。"
HAZARD_LINE = "{major}{code} {enterprise}｜{description}｜{status}{due}"
HAZARD_LINE_MAJOR = "🔴重大 "
HAZARD_LINE_BUTTONS = 10  # rows of a hazard list that carry their buttons (the first ones)
HAZARD_LINE_DUE = "｜期限 {due}"
DUE_USAGE = "用法：/due YH-2026-0007 12月10日（或 3天内、下周五、本月底、立即整改），也可以回复隐患卡片发送 /due 12月10日。"
LEVEL_USAGE = "用法：/level YH-2026-0007 重大 或 /level YH-2026-0007 一般。"
LEVEL_WORDS_IN = {"重大": "major", "重大隐患": "major", "major": "major", "一般": "general", "一般隐患": "general", "general": "general"}
LEVEL_WORDS_OUT = {"major": "重大", "general": "一般"}
CATEGORY_USAGE = "用法：/category YH-2026-0007 <类别>，类别可选：" + "、".join(CATEGORY_NAMES.values()) + "。"
ACCEPT_USAGE = "用法：/accept YH-2026-0007（验收通过并销号），或回复隐患卡片发送 /accept。"
REJECT_USAGE = "用法：/reject YH-2026-0007 <驳回原因>，或回复隐患卡片发送 /reject <原因>。"
SYSTEM_ACTOR = "系统"
F_STATUS = "状态"
CARD_COMMANDS_LABEL = "可用命令"
BUTTON_COMMANDS_HINT = "可以发送以下命令："

# --- corrections: extensions, withdrawals, edits -------------------------------------------------

BTN_EXTEND_OK = "同意"
BTN_EXTEND_NO = "不同意"
EXTEND_USAGE = "用法：/extend YH-2026-0007 12月20日 <原因>，例如：/extend YH-2026-0007 12月20日 配件还没到货。"
EXTEND_NEED_REASON = "请写明延期的原因，例如：/extend {code} 12月20日 配件还没到货。"
EXTEND_NO_DEADLINE = "{code} 没有设定整改期限（{mode}），不需要申请延期。"
EXTEND_NOT_LATER = "申请的新期限 {to} 没有晚于当前期限 {due}，请写一个更晚的日期。"
EXTEND_SENT = "{code} 已提交延期申请（{old} → {new}），管理人员审批后会通知您。"
EXTEND_NO_MANAGER = "{code} 已提交延期申请，但目前没有可以私聊通知的管理人员，请提醒他们处理。"
EXTEND_ASK_NOTICE = (
    "{code}（{enterprise}｜{description}）申请延期：\n"
    "整改期限 {old} → {new}\n申请人：{name}\n原因：{reason}"
)
EXTEND_OK_DONE = "已同意 {code} 延期，整改期限改为 {new}。"
EXTEND_NO_DONE = "已不同意 {code} 的延期申请，整改期限仍为 {due}。"
EXTEND_OK_NOTICE = "您对 {code} 的延期申请已获同意，新的整改期限：{new}。"
EXTEND_NO_NOTICE = "您对 {code} 的延期申请未获同意，整改期限仍为 {due}，请按期整改。{reason}"
EXTEND_NO_REASON = "\n原因：{reason}"
EXTEND_NO_REQUEST = "{code} 没有待处理的延期申请（已经处理过，或已被新的申请取代）。"
EXTEND_ALREADY_DECIDED = "{code} 的延期申请已由 {actor} {how}，无需再处理。"
EXTEND_DECIDED_OK = "同意"
EXTEND_DECIDED_NO = "不同意"
EXTEND_DECIDE_USAGE = "用法：/extend_ok YH-2026-0007 或 /extend_no YH-2026-0007 [原因]。"
WITHDRAW_USAGE = (
    "用法：/withdraw YH-2026-0007 <原因>；重复上报请写：/withdraw YH-2026-0008 重复 YH-2026-0007。"
    "撤销须写明原因。"
)
WITHDRAW_WORDS = ("重复", "重复上报")
WITHDRAW_DUPLICATE = "与 {code} 重复"
WITHDRAW_DONE = "{code} 已撤销（{reason}）。编号和处理记录都会保留，不再计入未销号隐患。"
WITHDRAW_DENIED = "只有上报人或管理人员可以撤销 {code}。"
WITHDRAW_SAME = "{code} 不能标为与自己重复。"
EDIT_USAGE = "用法：/edit YH-2026-0007 <新的描述>（上报人在验收前可以修改）。"
EDIT_DONE = "{code} 描述已更新。"
EDIT_DENIED = "您不能修改 {code} 的描述：只有上报人可以修改。"
LOCATION_USAGE = "用法：/location YH-2026-0007 <部位>，例如 /location YH-2026-0007 二车间配电室（上报人在验收前可以填写或修改）。"
LOCATION_DONE = "{code} 部位已记为：{location}。"
LOCATION_DENIED = "您不能修改 {code} 的部位：只有上报人可以修改。"
LOCATION_TOO_LONG = "部位最多 {limit} 个字，请简短写明，例如 二车间配电室。"
LOCATION_ASK = "{code} 是在哪个部位发现的？请回复这条消息写明部位（例如 二车间配电室），台账按部位归档；不需要请点“跳过”（或回复“跳过”）。"
LOCATION_SKIPPED = "好的，{code} 不填部位。以后可以用 /location {code} <部位> 补上。"
LOCATION_ASK_GONE = "这个问题已经结束了。需要填写部位请发送 /location YH-… <部位>。"
BTN_LOCATION_SKIP = "跳过"
LOCATION_SKIP_WORDS = ("跳过", "不填", "不用", "无", "略")

# --- questions the bot waits for ----------------------------------------------------------------

QUESTION_NAMES = {
    "hazard_draft": "未完成的隐患草稿",
    "hazard_album": "相册里的其余照片",
    "hazard_fix": "整改照片",
    "hazard_reject": "驳回原因",
    "hazard_photo_offer": "是否登记照片为隐患的选择",
    "hazard_describe": "隐患描述",
    "hazard_location": "隐患部位",
    "default": "上一个问题的回答",
}
QUESTION_DROPPED = "提示：之前等待您提供的{what}已放弃（发送了新的命令）。如需继续，请重新操作。"
QUESTION_EXPIRED = "提示：我之前在等您提供的{what}已超时，已自动取消（这条消息不会被当作回答）。如需继续，请重新操作。"

UNFIX_USAGE = "用法：/unfix YH-2026-0007 [原因]，撤回自己提交、尚未验收的整改。"
UNFIX_NOT_YOURS = "只有提交 {code} 整改的人才能撤回这次整改。"
UNFIX_DONE = "已撤回 {code} 的整改，隐患回到“整改中”。可以重新提交：/fix {code} <整改情况>（附照片）。"
NOTE_TOO_LONG = "说明最多 {limit} 个字（现在 {length} 个字），请精简后重新发送。"
CANCELLED = "已取消。"
NOTHING_TO_CANCEL = "没有需要取消的操作。"

# --- DingTalk adapter (issue #11) -----------------------------------------------------------------

DINGTALK_OUTSIDER = "抱歉，只有本组织（企业通讯录内）的成员可以使用安全生产机器人。"
DINGTALK_QUOTA_WARNING = (
    "提醒：本月钉钉开放平台接口调用已达 {calls} 次，约为每月额度 {limit} 次的 {share}%。"
    "额度用完后机器人将无法发送消息和更新卡片，直到下月。请减少不必要的群发，或升级钉钉版本。"
)
DINGTALK_CARD_ACTIONS = "可用操作（@机器人 发送）："
DINGTALK_CARD_UPDATED = "（状态更新）"


# --- meeting notices, notices with receipts, campaigns (issue #9) --------------------------------

NOTICE_KIND_NAMES = {"meeting": "会议通知", "notice": "通知"}
# The kind of a meeting or a notice (storage.enums.NoticeCategory), as the card and the figures say it.
NOTICE_CATEGORY_NAMES = {
    "regular": "例会",
    "mobilisation": "动员会（专题会）",
    "training": "培训会",
    "other": "其他会议",
    "plain": "通知",
    "plan": "方案",
    "emergency_plan": "预案",
    "regulation": "制度",
    "bulletin": "通报",
}
# The words /notice_kind understands (as people write them), and the kind each means.
NOTICE_CATEGORY_WORDS = {
    "例会": "regular",
    "月例会": "regular",
    "安全生产例会": "regular",
    "动员会": "mobilisation",
    "动员": "mobilisation",
    "专题会": "mobilisation",
    "专题": "mobilisation",
    "培训会": "training",
    "培训": "training",
    "其他": "other",
    "其它": "other",
    "其他会议": "other",
    "通知": "plain",
    "方案": "plan",
    "实施方案": "plan",
    "预案": "emergency_plan",
    "应急预案": "emergency_plan",
    "制度": "regulation",
    "办法": "regulation",
    "通报": "bulletin",
}
NF_CATEGORY = "类别"
NOTICE_CATEGORY_HINT = "类别：{category}（按标题{files}自动识别）。不对的话点下面正确的类别，或发送 /notice_kind {code} <类别> 更改，可选：{choices}。"
NOTICE_CATEGORY_HINT_FILES = "和附件名"
NOTICE_KIND_USAGE = (
    "用法：/notice_kind <编号> <类别>（也可以回复通知卡片发送，不写编号），中文命令 /通知类别、/会议类别。\n"
    "会议可选：例会、动员会（专题会）、培训会、其他；通知可选：通知、方案、预案、制度、通报。\n"
    "例如：/notice_kind TZ-2026-03 方案；/notice_kind HY-2026-02 动员会\n"
    "动员会可以关联它所动员的专项行动：/notice_kind HY-2026-02 动员会 ZX-2026-01"
)
NOTICE_KIND_UNKNOWN = "没有读懂类别“{text}”。{kind}可选：{choices}。\n" + NOTICE_KIND_USAGE
NOTICE_KIND_WRONG = "{code} 是{kind}，类别只能是：{choices}。"
NOTICE_KIND_SAME = "{code} 的类别已经是“{category}”，没有变化。"
NOTICE_KIND_NO_CAMPAIGN = "没有找到专项行动“{text}”。动员会可以写上它所动员的专项行动编号，例如 /notice_kind HY-2026-02 动员会 ZX-2026-01。"
NOTICE_KIND_CAMPAIGN_ONLY = "只有动员会（专题会）可以关联专项行动，例如 /notice_kind HY-2026-02 动员会 ZX-2026-01。"
NOTICE_KIND_CAMPAIGN_DONE = "已把 {code} 关联到专项行动 {campaign}，各群的卡片已更新；回执不变。"
NOTICE_KIND_CAMPAIGN_ADDED = "关联专项行动：{campaign}。"
NF_CAMPAIGN = "专项行动"
NOTICE_KIND_TOAST = "{code} 的类别已改为“{category}”"
BTN_NOTICE_KIND = "{category}"
NOTICE_KIND_DONE = "已把 {code}（{title}）的类别从“{before}”改为“{after}”，各群的卡片已更新；回执不变。"
NOTICE_CARD_TITLE = "{kind} {code}"
NOTICE_STATUS_OPEN = "收集回执中"
NOTICE_STATUS_STARTED = "会议已开始，回执已截止"
NOTICE_STATUS_CANCELLED = "已取消"
NF_TITLE = "主题"
NF_TIME = "时间"
NF_PLACE = "地点"
NF_AGENDA = "议程"
NF_BODY = "内容"
NF_FILES = "附件"
NF_AUTHOR = "发布"
NF_RECEIPTS = "回执"
NF_LEAVE = "请假"
NF_ATTENDED = "出席"
NF_HOW = "回执方式"
RECEIPTS_COUNT = "已回执 {answered}/{total}"
LEAVE_COUNT = "{leave} 家"
ATTENDED_COUNT = "{attended}/{total} 家"
NOTICE_HOW = "各企业安全负责人或员工点“收到”即为本企业回执。"
BTN_RECEIPT_OK = "收到"
BTN_RECEIPT_LEAVE = "请假"
BTN_REMIND_NOW = "立即提醒未回执企业"
BTN_ATTEND_ALL = "按已回执“收到”的企业记录"
BTN_ATTENDED = "✅ {name}"
BTN_ABSENT = "⬜ {name}"
MEETING_USAGE = (
    "用法：/meeting <日期 时间> <地点> <会议名称> [议程…]\n"
    "例如：/meeting 2026-12-05 09:00 管委会三楼会议室 12月安全生产例会 通报11月隐患整改情况\n"
    "日期可写 12月5日、12-05、明天、下周五；时间写 09:00、9点、下午3点半。地点和会议名称中不要有空格。"
)
MEETING_NEED_TIME = "没有读到会议时间。"  # the usage of the command typed follows
MEETING_BAD_DATE = "没有读懂会议日期“{text}”。"
MEETING_PAST = "会议时间 {when} 已经过去了，请写一个将来的时间。"
MEETING_BAD_TIME = "没有读懂会议时间“{text}”：小时写 0–23，分钟写 0–59，例如 09:00 或 下午3点半。"
NOTICE_USAGE = (
    "用法：/notice <通知内容>（第一行或第一句作为标题）\n"
    "例如：/notice 关于开展冬季消防安全检查的通知 请各企业于12月10日前完成自查。\n"
    "可以随 PDF、Word、Excel 文件或照片一起发送（文件的说明写 /notice …）。"
)
NOTICE_TOO_LONG = "通知内容最多 {limit} 个字（现在 {length} 个字），请精简，或把全文作为文件附上。"
NOTICE_NO_GROUPS = "提示：还没有设置园区群（在群里发送 /setgroup），通知卡片暂时没有发到任何群。"
NOTICE_NO_ENTERPRISES = "园区还没有登记企业，没有人可以回执。请先用 /enterprise_add 添加企业。"
NOTICE_ISSUED = "已发布{kind} {code}，共 {total} 家企业需回执。发送 /receipts {code} 查看未回执的企业。"
NOTICE_FILES_REFUSED = "有文件没有保存：{problem}"
NOTICE_FILE_KINDS = "只接受图片，或 PDF、Word、Excel、PowerPoint 文件（以文件形式发送）。"
NOTICE_NOT_FOUND = "没有找到编号为 {code} 的通知。"
NOTICE_NONE_OPEN = "目前没有正在收集回执的通知。"
RECEIPT_DONE = "已为{enterprise}回执 {code}：{answer}。"
RECEIPT_SAME = "{enterprise}已经回执过 {code}（{answer}），无需重复。"
RECEIPT_ANSWERS = {"confirmed": "收到", "leave": "请假", "pending": "未回执"}
RECEIPT_NO_ENTERPRISE = "您还没有绑定企业，回执不计入任何企业。企业人员请先发送 /join <企业名称> 申请加入。"
RECEIPT_MANAGER = "回执由各企业填写；您可以发送 /receipts {code} 查看回执情况。"
RECEIPT_NOT_LISTED = "{enterprise}是在这条通知发布后才加入园区的，不需要回执。"
RECEIPT_CANCELLED = "{code} 已取消，不需要回执。"
RECEIPT_STARTED = "{code} 的会议已经开始，回执已截止。"
LEAVE_ASK = "{code}（{title}）请假：请回复请假原因；如有人代为参会，请写“代参会：姓名”。例如：出差在外 代参会：王五"
LEAVE_ASK_GROUP = "{name}，{code} 请假：请回复这条消息写明请假原因（可加“代参会：姓名”）。"
LEAVE_ASK_TOAST = "请在私聊中回复请假原因"
LEAVE_ASK_TOAST_HERE = "请回复机器人的提问，写明请假原因"
LEAVE_NEED_REASON = "请写明请假原因，例如：出差在外 代参会：王五。发送 /cancel 放弃请假。"
LEAVE_DONE = "已为{enterprise}登记 {code} 请假：{reason}{substitute}。"
LEAVE_SUBSTITUTE = "，代参会：{name}"
LEAVE_USAGE = "用法：/leave HY-2026-01 <请假原因> [代参会：姓名]，或点通知卡片上的“请假”。"
CONFIRM_USAGE = "用法：/confirm HY-2026-01，或点通知卡片上的“收到”。"
SUBSTITUTE_WORDS = ("代参会", "代为参会", "参会人", "代会")
RECEIPTS_USAGE = "用法：/receipts [通知编号]，不写编号时查看最近一条正在收集回执的通知。"
RECEIPTS_TITLE = "{code}（{title}）：{receipts}"
RECEIPTS_PENDING = "未回执（{count} 家）："
RECEIPTS_ALL_DONE = "所有企业都已回执。"
RECEIPTS_LEAVE_LINE = "请假：{enterprise}（{reason}{substitute}）"
RECEIPTS_OTHERS = "其他正在收集回执的通知：{codes}"
SENT_PRIVATELY = "{name}，名单已私聊发给您（群里不公布未回执或未完成的企业）。"
NEED_PRIVATE = "{name}，名单只私聊发送（群里不公布未回执或未完成的企业）。请先私聊我发送 /start，再发一次这个命令。"
REMIND_TEXT = "提醒：{enterprise}还没有回执{kind} {code}（{title}{when}）。请点下面的按钮回执，或发送 /confirm {code}。"
REMIND_WHEN = "，{when}"
REMIND_GROUP = "{name}，请回执 {code}：{how}私聊我发送 /start 后，提醒会私下发给您。"
REMIND_DONE = "已提醒 {count} 家未回执的企业（私聊其安全负责人）。"
REMIND_NONE = "没有需要提醒的企业：{why}"
CONFIRM_WHICH_MANY = "“{text}”对应多份通知，请点击要回执的那一份："
CONFIRM_WHICH_NONE = "没有找到与“{text}”相符的通知。正在收集回执的通知如下，请点击要回执的那一份："
CONFIRM_WHICH_BUTTON = "收到 {code} {title}"
RECEIPTS_NOBODY = "（无人员登记，无法提醒）"
REMIND_NOBODY = "另有 {count} 家企业没有任何人员在本群登记，无法提醒：请让其安全负责人发送 /join 加入，或由管理员登记（/receipts 可查看是哪几家）。"
REMIND_WHY_NOBODY = "未回执的 {count} 家企业都没有人员在本群登记，无法提醒；请让其安全负责人发送 /join 加入（/receipts 可查看是哪几家）。"
REMIND_WHY_ALL = "都已回执。"
REMIND_WHY_TODAY = "今天都已提醒过（每家企业每天最多提醒一次）。"
REMIND_QUIET = "现在是免打扰时段（{hours}），没有发送提醒。请在 {until} 之后再试，定时提醒也会在那之后发送。"
REMIND_USAGE = "用法：/remind HY-2026-01，私下提醒未回执的企业。"
MEETING_CANCEL_USAGE = "用法：/meeting_cancel HY-2026-01 [原因]"
MEETING_MOVE_USAGE = "用法：/meeting_move HY-2026-01 <新的日期 时间> [新地点]，例如：/meeting_move HY-2026-01 12月6日 14:30 管委会二楼会议室"
MEETING_CANCELLED = "{code}（{title}）已取消，已通知 {count} 位已回执的人员。"
MEETING_CANCEL_NOTICE = "通知：{code}（{title}，原定 {when}）已取消。{reason}"
MEETING_ALREADY_CANCELLED = "{code} 已经取消过了。"
MEETING_MOVED = "{code}（{title}）已改到 {when}，地点 {place}；已通知 {count} 位已回执的人员。"
MEETING_MOVE_NOTICE = "通知：{code}（{title}）改期为 {when}，地点 {place}。原回执仍然有效，不能参加请点卡片上的“请假”。"
MEETING_MOVE_SAME = "{code} 的时间和地点没有变化。"
NOT_A_MEETING = "{code} 是通知，不是会议，不能改期或记录出席。"
REASON_LINE = "原因：{reason}"
ATTENDANCE_USAGE = "用法：/attendance HY-2026-01 [全部|企业名称…]：“全部”按已回执“收到”的企业记录；不写则给出企业按钮逐个勾选。"
ATTENDANCE_NOT_STARTED = "{code} 的会议还没有开始（{when}），会后再记录出席。"
ATTENDANCE_PICK = "{code}（{title}）出席情况：点企业名称勾选或取消，当前出席 {attended}/{total}。"
ATTENDANCE_DONE = "{code} 已记录出席：{attended}/{total} 家企业。"
ATTENDANCE_UNKNOWN = "没有找到这些企业：{names}。请写企业全称或别名，用空格分开。"

CAMPAIGN_CARD_TITLE = "专项行动 {code}"
CF_NAME = "名称"
CF_REQUIREMENTS = "要求"
CF_DUE = "截止日期"
CF_PROGRESS = "进度"
CF_ACCEPTED = "已通过"
CF_OVERDUE = "逾期"
CF_HAZARDS = "关联隐患"
CF_HOW = "报告方式"
CAMPAIGN_HOW = "各企业安全负责人点“提交自查报告”，或回复本卡片发送 /report <说明>（可附照片、PDF、Word、Excel）。"
CAMPAIGN_PROGRESS = "已提交 {submitted}/{total}"
CAMPAIGN_STATUS_OPEN = "进行中"
CAMPAIGN_STATUS_DUE = "已过截止日期"
CAMPAIGN_STATUS_CLOSED = "已结束"
BTN_REPORT = "提交自查报告"
CAMPAIGN_USAGE = (
    "用法：/campaign <行动名称> <截止日期> <要求…>\n"
    "例如：/campaign 消防安全百日攻坚 2026-12-31 全面排查消防设施、疏散通道和动火作业管理\n"
    "行动名称中不要有空格；可以随方案文件（PDF、Word、Excel）一起发送。发送 /campaign ZX-2026-01 查看一项行动。"
)
CAMPAIGN_BAD_DUE = "没有读懂截止日期“{text}”。" + "\n" + CAMPAIGN_USAGE
CAMPAIGN_PAST_DUE = "截止日期 {text} 已经过去了，请写今天或以后的日期。"
CAMPAIGN_LAUNCHED = "已发布专项行动 {code}，共 {total} 家企业需提交自查报告，截止 {due}。发送 /campaigns 查看进度。"
CAMPAIGN_NOT_FOUND = "没有找到专项行动“{text}”。发送 /campaigns 查看正在进行的行动。"
CAMPAIGN_AMBIGUOUS = "“{text}”对应多项行动：{codes}。请写行动编号。"
CAMPAIGN_ONLY_MANAGERS = "发布专项行动需要管理员或包片干部身份。查看一项行动请写编号，例如 /campaign ZX-2026-01。"
REPORT_USAGE = (
    "用法：/report <行动编号或名称> <自查情况说明>，可附照片或文件；也可以回复专项行动卡片发送 /report <说明>。\n"
    "例如：/report ZX-2026-01 已完成全厂消防设施排查，整改隐患3处"
)
REPORT_ASK = "{code}（{title}）自查报告：请发送自查情况说明，可附照片、PDF、Word 或 Excel 文件，24 小时内有效。发送 /cancel 放弃。"
REPORT_ASK_TOAST = "请在私聊中发送自查报告"
REPORT_ASK_TOAST_HERE = "请回复机器人的提问，发送自查报告"
REPORT_NEED_CONTENT = "自查报告需要文字说明或附件（照片、文件）。请再发送一次，或发送 /cancel 放弃。"
REPORT_SUBMITTED = "{enterprise}的 {code} 自查报告已提交，等待管理人员审核。"
REPORT_RESUBMITTED_NOTE = "{enterprise}重新提交了 {code} 的自查报告，请审核。"
REPORT_NO_ENTERPRISE = "您还没有绑定企业，不能提交自查报告。"
REPORT_MANAGER = "自查报告由各企业的安全负责人提交；您可以发送 /campaigns 查看进度，或 /campaign {code} 查看这项行动。"
REPORT_NOT_LEAD = "自查报告由本企业的安全负责人提交。"
REPORT_NOT_LISTED = "{enterprise}是在 {code} 发布后才加入园区的，没有这项任务。"
REPORT_CLOSED = "{code} 已结束，不再接收自查报告。"
REPORT_WRONG_STATUS = "{enterprise}的 {code} 自查报告{status}，现在不能{what}。"
REPORT_STATUS_NAMES = {"pending": "尚未提交", "submitted": "正在等待审核", "returned": "已被退回", "accepted": "已审核通过"}
REPORT_WHAT = {"submit": "再次提交", "accept": "审核通过", "return": "退回"}
REPORT_OWN = "您不能审核自己提交的自查报告。"
REPORT_CARD_TITLE = "自查报告 {code}｜{enterprise}"
RF_CAMPAIGN = "专项行动"
RF_ENTERPRISE = "企业"
RF_REPORTER = "提交人"
RF_SUBMITTED = "提交时间"
RF_NOTE = "自查情况"
RF_FILES = "附件"
RF_RETURN = "退回原因"
RF_REVIEWER = "审核"
TASK_STATUS_NAMES = {"pending": "未提交", "submitted": "待审核", "returned": "已退回", "accepted": "已通过"}
TASK_SYMBOLS = {"pending": "⏳", "submitted": "📝", "returned": "↩️", "accepted": "✅", "overdue": "⚠️"}
BTN_REPORT_ACCEPT = "审核通过"
BTN_REPORT_RETURN = "退回"
REPORT_ACCEPT_USAGE = "用法：/report_accept ZX-2026-01 <企业>，或回复自查报告卡片发送 /report_accept。"
REPORT_RETURN_USAGE = "用法：/report_return ZX-2026-01 <企业> <退回原因>，或回复自查报告卡片发送 /report_return <原因>。"
REPORT_RETURN_ASK = "{code}（{enterprise}）自查报告退回：请回复退回原因，企业会收到并重新提交。"
REPORT_RETURN_ASK_TOAST = "请回复退回原因"
REPORT_RETURN_NEED = "请写明退回原因。发送 /cancel 放弃。"
REPORT_ACCEPTED = "已审核通过{enterprise}的 {code} 自查报告。"
REPORT_RETURNED = "已退回{enterprise}的 {code} 自查报告：{reason}"
REPORT_ACCEPTED_NOTICE = "{enterprise}的 {code}（{title}）自查报告已审核通过。"
REPORT_RETURNED_NOTICE = "{enterprise}的 {code}（{title}）自查报告被退回，原因：{reason}\n请补充后重新提交：/report {code} <说明>（可附照片、文件）。"
REPORT_HAZARDS_LINKED = "已把 {codes} 关联到 {code}。"
REPORT_HAZARDS_FOREIGN = "{codes} 不是本企业的隐患，没有关联。"
HAZARD_CAMPAIGN_LINKED = "已关联专项行动 {code}（{title}）。"
HAZARD_CAMPAIGN_UNKNOWN = "没有找到专项行动 {code}，隐患已登记，但没有关联到行动。"
CAMPAIGNS_EMPTY = "今年还没有专项行动。发布：/campaign <行动名称> <截止日期> <要求…>"
CAMPAIGNS_HEADER = "专项行动进度（{count} 项，{enterprises} 家企业）："
CAMPAIGNS_LINE = "{n} {code} {title}｜截止 {due}｜已提交 {submitted}/{total}，已通过 {accepted}{overdue}"
CAMPAIGNS_OVERDUE = "，逾期 {count}"
CAMPAIGNS_LEGEND = "图例：✅已通过 📝待审核 ↩️已退回 ⏳未提交 ⚠️逾期未交"
CAMPAIGNS_ROW = "{enterprise}：{cells}"
CAMPAIGNS_FILE = "企业较多，完整的进度表见附件 Excel 文件。"
CAMPAIGNS_FILE_NAME = "专项行动进度_{campaigns}_{date}.xlsx"
CAMPAIGNS_FILE_SEVERAL = "{title}等{count}项"
CAMPAIGNS_SHEET = "专项行动进度"
CAMPAIGNS_COL_ENTERPRISE = "企业"
CAMPAIGN_REMIND = "提醒：{enterprise}还没有提交专项行动 {code}（{title}）的自查报告，截止 {due}{late}。请发送 /report {code} <说明>（可附照片、文件）。"
CAMPAIGN_REMIND_LATE = "，已逾期 {days} 天"
CAMPAIGN_REMIND_RETURNED = "（上次提交已被退回：{reason}）"
CAMPAIGN_REMIND_GROUP = "{name}，请提交专项行动 {code} 的自查报告：回复行动卡片发送 /report <说明>。私聊我发送 /start 后，提醒会私下发给您。"
# --- responsibility letters (目标责任状, issue #19) --------------------------------------------------
LETTER_USAGE = (
    "用法：随目标责任状文件（PDF、Word 或照片）发送 /letter <年度> <标题>，例如 /letter 2026 2026年度安全生产目标责任状。"
    "查看签订情况：/letters [年度]。"
)
LETTER_ONLY_MANAGERS = "下发目标责任状需要管理员或包片干部身份。"
LETTER_BAD_YEAR = "没看懂年度“{text}”，请写四位数的年份，例如 2026。"
LETTER_EXISTS = "{year}年度目标责任状已经下发（{title}），查看签订情况请发送 /letters {year}。"
LETTER_NEED_DOCUMENT = "请随目标责任状文件（PDF、Word 或照片）一起发送 /letter，各企业签字后回传。"
LETTER_ISSUED = "已向 {total} 家企业下发 {year}年度目标责任状，企业安全负责人签字盖章后回传扫描件。"
LETTER_NOT_FOUND = "没有找到{year}年度目标责任状。"
LETTER_NONE = "还没有下发过目标责任状。"
LETTER_CARD_TITLE = "目标责任状 {year}年度"
LF_TITLE = "名称"
LF_FILES = "文件"
LF_AUTHOR = "下发人"
LF_SIGNED = "签订"
LF_HOW = "签订方式"
LETTER_PROGRESS = "{signed}/{total}"
LETTER_HOW = "企业安全负责人签字盖章后，点“上传签字件”，或回复本卡片发送照片或PDF扫描件。"
LETTER_STATUS_OPEN = "签订中"
LETTER_STATUS_DONE = "已全部签订"
BTN_LETTER_SIGN = "上传签字件"
LETTER_SIGN_USAGE = "用法：随签字盖章后的照片或PDF扫描件发送 /sign [年度]，或回复目标责任状卡片发送。"
LETTER_NEED_SCAN = "请发送签字盖章后的目标责任状照片或PDF扫描件（其他文件不算签订）。"
LETTER_SIGNED = "{enterprise}已签订{year}年度目标责任状，扫描件已存档。"
LETTER_SIGNED_MANAGERS = "{enterprise}已回传签字的{year}年度目标责任状（{person}），已签订 {signed}/{total}。"
LETTER_ALREADY_SIGNED = "{enterprise}已于 {when} 签订{year}年度目标责任状，无需重复。"
LETTER_NOT_LISTED = "{enterprise}不在{year}年度目标责任状的下发范围内（下发后才加入园区），请联系管理人员。"
LETTER_NOT_LEAD = "回传目标责任状需要企业安全负责人身份。"
LETTER_NO_ENTERPRISE = "您还没有绑定企业，请先发送 /join <企业名> 负责人。"
LETTER_ASK = "请发送签字盖章后的{year}年度目标责任状（{title}）照片或PDF扫描件。"
LETTER_ASK_TOAST = "请在私聊中发送签字扫描件"
LETTER_ASK_TOAST_HERE = "请在这里发送签字扫描件"
LETTERS_TITLE = "{year}年度目标责任状（{title}）：已签订 {signed}/{total}"
LETTERS_UNSIGNED = "未签订（{count} 家）：{names}"
LETTERS_ALL_SIGNED = "全部企业均已签订。"
LETTERS_SIGNED_HEAD = "已签订："
LETTERS_SIGNED_LINE = "· {enterprise}｜{when}｜{person}"
LETTER_REMIND = (
    "提醒：{enterprise}还没有回传签字的{year}年度目标责任状（{title}）。"
    "请签字盖章后点“上传签字件”，或发送 /sign {year} 并附照片或PDF扫描件。"
)
LETTER_REMIND_GROUP = (
    "{name}，请回传签字的{year}年度目标责任状：回复责任状卡片发送照片或PDF扫描件。私聊我发送 /start 后，提醒会私下发给您。"
)
TODO_SIGN = "待签订的目标责任状 {count} 项："
TODO_SIGN_LINE = "{year}年度 {title}"
HELP.update(
    {
        "letter": "/letter（/责任状）<年度> <标题> — 随文件下发本年度目标责任状，各企业签字回传",
        "letters": "/letters [年度] — 私下查看目标责任状的签订情况（谁还没签）",
        "sign": "/sign [年度] — 随照片或PDF扫描件回传本企业签字的目标责任状（或回复责任状卡片）",
    }
)
QUESTION_NAMES.update({"letter_scan": "目标责任状签字件"})
# Added to the shared tables above from here, so this section merges on its own.
HELP.update(
    {
        "meeting": "/meeting <日期 时间> <地点> <会议名称> [议程…] — 发布会议通知，各企业回执",
        "notice": "/notice <通知内容> — 发布通知（可随 PDF、Word、Excel 文件或照片发送），各企业回执",
        "confirm": "/confirm [HY-…|TZ-…] — 为本企业回执“收到”（同通知卡片上的按钮）",
        "leave": "/leave HY-… <原因> [代参会：姓名] — 为本企业请假（同“请假”按钮）",
        "receipts": "/receipts [编号] — 私下查看未回执的企业，并可立即提醒",
        "remind": "/remind HY-… — 私下提醒未回执的企业（同“立即提醒”按钮）",
        "meeting_cancel": "/meeting_cancel HY-… [原因] — 取消会议，已回执的人会收到通知",
        "meeting_move": "/meeting_move HY-… <日期 时间> [地点] — 会议改期，已回执的人会收到通知",
        "attendance": "/attendance HY-… [全部|企业…] — 会后记录出席企业",
        "campaign": "/campaign <行动名称> <截止日期> <要求…> — 发布专项行动；/campaign ZX-… 查看一项行动",
        "campaigns": "/campaigns [excel] — 私下查看专项行动进度（行动 × 企业）",
        "report": "/report <行动编号或名称> <说明> — 随照片或文件提交本企业自查报告（或回复行动卡片）",
        "report_accept": "/report_accept ZX-… <企业> — 自查报告审核通过（同“审核通过”按钮）",
        "report_return": "/report_return ZX-… <企业> <原因> — 退回自查报告（同“退回”按钮）",
    }
)
QUESTION_NAMES.update({"notice_leave": "请假原因", "campaign_report": "自查报告", "campaign_return": "退回原因"})
HELP_GROUP_LINES.update(
    {
        "receipt": "点通知卡片上的“收到”或“请假” — 为本企业回执",
        "notices": "/meeting、/notice、/campaign、/week、/export — 会议通知、通知、专项行动、周报、隐患台账",
    }
)
START = (
    "您好，{name}！我是{park}的安全生产小助手。\n"
    "我负责隐患的上报（随手拍）、整改和验收销号，并记好隐患台账；会议通知和通知的回执、专项行动的自查报告也在这里办理。\n"
    "发送 /help 查看您可以使用的命令。"
)
SETGROUP_DONE = "已将本群（{title}）设为园区安全群：隐患卡片、会议通知、通知和专项行动会发到这里。"

# --- correcting a notice: wording, place, time, files, withdrawal (issue #18 item 5) -------------------

FIX_SUBMITTED_RECHECK = "{code} 已提交整改，等待管理人员验收或发现它的检查专家{name}复查。"
VERIFY_ACCEPTED_FINDER = "您发现的隐患 {code}（{enterprise}：{description}）已由{name}验收销号。"
RECHECK_OFF = "本园区的整改验收由管理人员进行（检查专家复查未开启）。隐患销号后，发现它的检查专家会收到通知。"
RECHECK_NOT_FINDER = "检查专家只复查自己发现的隐患；{code} 不是您发现的，由管理人员验收。"
NOTICE_STATUS_WITHDRAWN = "已撤回"
NF_CORRECTIONS = "更正记录"
CORRECTION_LINE = "{when} {name}{what}"
CORRECTION_SOMEONE = "管理人员"
CORRECTION_WHAT = {
    "title": "修改了标题",
    "body": "修改了{body}",
    "title_body": "修改了标题和{body}",
    "files_add": "添加了附件{files}",
    "files_remove": "删除了附件{files}",
    "move": "把时间改为 {when}",
    "place": "把地点改为 {place}",
    "move_place": "改为 {when}，地点 {place}",
    "withdraw": "撤回了这条{kind}{reason}",
    "category": "把类别改为“{category}”",
    "campaign": "关联了专项行动 {campaign}",
}
CORRECTION_REASON = "（{reason}）"
CORRECTION_PHOTOS = "照片 {count} 张"
CORRECTIONS_MORE = "（另有 {count} 条更早的更正）"
RECEIPT_WITHDRAWN = "{code} 已撤回，不再收集回执。"
NOTICE_NOT_OPEN = "{code} 已{status}，不能再修改。"
NOTICE_CARD_PHOTO = (
    "{code} 卡片上的图片随卡片一起发出，不能单独删除。如果这张图片发错了，"
    "请发送 /撤回 {code} 撤回这条通知，再重新发布。"
)
NOTICE_EDIT_USAGE = (
    "用法：/修改通知 <通知编号> <要改的项目> <新内容>（也可以回复通知卡片发送，不写编号）：\n"
    "/修改通知 TZ-2026-01 标题 <新标题>\n"
    "/修改通知 TZ-2026-01 内容 <新内容>（会议写“议程”）\n"
    "/修改通知 HY-2026-01 地点 <新地点>；/修改通知 HY-2026-01 时间 <日期 时间> [地点]\n"
    "随文件或照片发送 /修改通知 TZ-2026-01 — 添加附件\n"
    "/修改通知 TZ-2026-01 删除附件 <序号或文件名>\n"
    "/撤回 TZ-2026-01 [原因] — 撤回整条通知（不再收集回执，不计入统计）\n"
    "只改文字或附件时，各企业的回执保持不变；改地点、时间或撤回时，已回执的企业会收到通知。"
)
NOTICE_EDIT_WHICH = "请写明是哪条通知（写编号，或回复那条通知的卡片）。{recent}\n{usage}"
NOTICE_EDIT_RECENT = "正在收集回执的通知：{codes}。"
NOTICE_EDIT_UNKNOWN = "没有读懂要修改什么：“{text}”。要改的项目写 标题、内容（议程）、地点、时间、删除附件，添加附件请随文件发送。\n" + NOTICE_EDIT_USAGE
NOTICE_EDIT_NEED_VALUE = "请在“{field}”后面写上新的内容，例如：/修改通知 {code} {field} …"
NOTICE_EDIT_MENU = "{kind} {code}（{title}）现在的内容见卡片；附件：{files}\n可以这样修改：\n{how}"
NOTICE_EDIT_MENU_FILE = "{n}. {name}"
NOTICE_EDIT_MENU_PHOTO = "照片{n}"
NOTICE_EDIT_MENU_HOW = (
    "/修改通知 {code} 标题 <新标题>\n"
    "/修改通知 {code} {body} <新内容>\n"
    "{meeting}"
    "随文件或照片发送 /修改通知 {code} — 添加附件\n"
    "/修改通知 {code} 删除附件 <序号或文件名>\n"
    "/撤回 {code} [原因] — 撤回这条通知\n"
    "只改文字或附件时，回执保持不变。"
)
NOTICE_EDIT_MENU_MEETING = "/修改通知 {code} 地点 <新地点>；/修改通知 {code} 时间 <日期 时间> [地点]（已回执的企业会收到通知）\n"
NOTICE_TITLE_TOO_LONG = "标题最多 {limit} 个字（现在 {length} 个字），请精简。"
NOTICE_EDITED = "已修改 {code} 的{what}，各群的卡片已更新；回执保持不变（{receipts}）。"
NOTICE_EDIT_SAME = "{code} 的{what}和原来一样，没有修改。"
NOTICE_EDIT_WHAT = {"title": "标题", "body": "内容", "agenda": "议程"}
NOTICE_FILES_ADDED = "已为 {code} 添加附件：{files}，各群的卡片已更新；回执保持不变（{receipts}）。"
NOTICE_FILES_SAME = "这些文件 {code} 已经有了，没有重复添加。"
NOTICE_FILES_NONE = "没有收到可以添加的文件。{problem}"
NOTICE_FILES_POSTED = "{code}（{title}）补充附件：{files}，以卡片为准。"
NOTICE_FILE_NOT_FOUND = "{code} 没有附件“{text}”。现有附件：{files}。请写序号或文件名中的几个字。"
NOTICE_FILE_MANY = "“{text}”对应 {code} 的多个附件：{files}。请写序号。"
NOTICE_FILE_REMOVED = "已从 {code} 删除附件 {file}，各群的卡片已更新。已经发到群里的文件无法收回，请提醒大家以卡片为准。"
NOTICE_NO_FILES = "{code} 没有附件。"
NOTICE_PLACE_NOTICE = "通知：{code}（{title}）的地点改为 {place}，时间不变（{when}）。原回执仍然有效，不能参加请点卡片上的“请假”。"
NOTICE_PLACE_SET = "{code}（{title}）的地点已改为 {place}；已通知 {count} 位已回执的人员。"
NOTICE_PLACE_SAME = "{code} 的地点没有变化。"
NOTICE_WITHDRAW_USAGE = "用法：/撤回 <通知编号> [原因]，例如：/撤回 TZ-2026-01 内容有误，已重新发布。也可以回复通知卡片发送 /撤回 [原因]。"
NOTICE_WITHDRAWN = "已撤回{kind} {code}（{title}）：各群的卡片显示“已撤回”，不再收集回执、不再提醒，也不计入统计；已通知 {count} 位已回执的人员。"
NOTICE_ALREADY_WITHDRAWN = "{code} 已经撤回过了。"
NOTICE_WITHDRAW_NOTICE = "通知：{kind} {code}（{title}）已由{name}撤回，不需要再回执{meeting}。{reason}"
NOTICE_WITHDRAW_MEETING = "，会议按此通知不再举行"
BTN_NOTICE_FILE_REMOVE = "删除附件 {n}"
BTN_NOTICE_WITHDRAW = "撤回这条通知"
BTN_NOTICE_WITHDRAW_CONFIRM = "确认撤回 {code}"
NOTICE_WITHDRAW_CONFIRM = "确定撤回{kind} {code}（{title}）吗？撤回后不再收集回执、不再提醒，也不计入统计，已回执的人会收到通知。要写明原因，请发送 /撤回 {code} <原因>。"
NOTICE_FILE_GONE = "这个附件已经不在 {code} 上了。"
NOTICE_WITHDRAW_CONFIRM_TOAST = "请再点一次“确认撤回”"
NOTICE_FILE_REMOVED_TOAST = "已从 {code} 删除附件 {file}"
NOTICE_WITHDRAWN_TOAST = "已撤回 {code}"
HELP.update(
    {
        "notice_edit": "/notice_edit（/修改通知）<编号> <标题|内容|地点|时间|删除附件> <新内容> — 更正通知（随文件发送即添加附件），回执保持不变",
        "notice_withdraw": "/notice_withdraw（/撤回）<编号> [原因] — 撤回发错的通知或会议通知，已回执的人会收到通知",
        "notice_kind": "/notice_kind（/通知类别）<编号> <类别> — 更改会议类别（例会、动员会、培训会、其他）或通知类别（通知、方案、预案、制度、通报）",
    }
)



# --- outbox sender: deliveries that failed or cannot reach their target (issue #9) ----------------

OUTBOX_FAILED_DAILY = (
    "消息发送提醒：有 {count} 条消息多次重试后仍未能发出（涉及 {chats} 个会话），"
    "多为平台或网络故障所致。如有重要通知，请确认对方是否收到，必要时重新发送。"
)
OUTBOX_GROUP_UNREACHABLE = (
    "机器人已无法在群「{group}」发送消息（可能已被移出该群或群已解散），此后不再向该群发送。"
    "如需恢复，请把机器人重新拉进群，并在群里发送任意命令（如 /help）。"
)
OUTBOX_PERSON_UNREACHABLE = (
    "机器人已无法私聊 {name}（对方可能屏蔽了机器人），此后不再私聊此人；"
    "群里的消息照常。对方重新私聊机器人（如发送 /start）后即可恢复。"
)


# --- schedules and reports (#10): weekly digest, overdue escalation, summary, ledger export ----------

REPORT_HELP = {
    "week": "/week [上周|本周|2026-W48] — 周报：各企业隐患新增、销号、逾期，附图表",
    "summary": "/summary <年份> [word] 或 /summary <起始日期> <结束日期> [word] — 年度（期间）安全生产工作总结数据；加 word 发送 Word 文稿",
    "inspection": "/inspection <日期> <人次> <企业…> [检查内容] — 登记一次检查（计入总结）",
    "inspection_start": "/inspection_start（/开始检查）<名称> <企业…|全园区> [@检查人员…] [N人次] — 开始一次检查，期间上报的隐患计入这次检查",
    "inspection_end": "/inspection_end（/结束检查）— 结束检查，发布检查情况（覆盖企业、发现隐患、立即整改、限期整改）",
    "drill": "/drill（/演练）<日期> <名称> <企业|全园区> [地点] [人数] — 登记应急演练（消防、危化品泄漏、防汛等）",
    "training": "/training（/培训）<日期> <名称> [主办单位] [外部|内部] [天数] <企业…|全园区> <人次> — 登记安全培训",
    "drills": "/drills [年份]（/演练记录）— 查看一年的应急演练",
    "trainings": "/trainings [年份]（/培训记录）— 查看一年的安全培训",
    "export": "/export [年份|起始日期 结束日期] — 导出隐患台账 Excel（台账、统计、专项行动）",
}

# The weekly digest (周报): short lines that read well on a phone.
DIGEST_TITLE = "【{park}安全生产周报】{label}（{start}—{end}）"
# The chain head posted with the digest: the group's history keeps it, so a rewritten database is found.
DIGEST_LEDGER_HEAD = "台账校验码：{short}（截至第 {events} 条台账记录；本消息用于日后核验台账未被篡改，请勿删除）"
DIGEST_TOTALS = "本周新发现隐患 {found} 项；销号 {closed} 项（立即整改 {immediate}、限期整改 {deadline}）；周末未销号 {open} 项；逾期 {overdue} 项。"
DIGEST_ENTERPRISES = "各企业情况："
DIGEST_ENTERPRISE_LINE = "· {name}：新增 {found}，销号 {closed}，未销号 {open}{overdue}"
DIGEST_ENTERPRISE_OVERDUE = "，逾期 {count}（{items}）"
DIGEST_OVERDUE_ITEM = "{code} 逾期{days}天"
DIGEST_QUIET = "其余 {count} 家企业本周无新增、销号或逾期隐患{open}。"
# Busy enterprises beyond the list: summed up, never said to have had nothing.
DIGEST_REST = "另有 {count} 家企业本周共新增 {found} 项、销号 {closed} 项、逾期 {overdue} 项，发送 /hazards <企业名> 查看。"
DIGEST_QUIET_OPEN = "（其中 {count} 家尚有未销号隐患共 {hazards} 项）"
DIGEST_ALL_QUIET = "本周各企业均无新增、销号或逾期隐患{open}。"
DIGEST_NO_ENTERPRISES = "园区还没有登记企业。"
DIGEST_MAJORS = "重大隐患："
DIGEST_MAJOR_LINE = "· {code} {enterprise}（{status}）"
DIGEST_MAJORS_MORE = "· 另有 {count} 项，发送 /hazards 重大 查看"
DIGEST_NO_MAJORS = "重大隐患：无。"
DIGEST_MEETINGS = "会议和通知：召开会议 {meetings} 次{meeting_kinds}，发布通知 {notices} 份{documents}，回执率 {rate}。"
DIGEST_MEETING_KINDS = "（{items}）"
DIGEST_DOCUMENTS = "，印发{items}"
KIND_COUNT_MEETING = "{name} {count} 次"
KIND_COUNT_DOCUMENT = "{name} {count} 件"
DIGEST_MEETINGS_SCHEDULED = "另有 {count} 次会议已通知、尚未召开（不计入召开次数）。"
DIGEST_CAMPAIGNS = "专项行动："
DIGEST_CAMPAIGN_LINE = "· {title}：已完成 {done}/{tasks}"
DIGEST_FOOTER = "详情：/hazards 逾期 · /hazards 重大 · /week 2026-W48 查看其他周"
DIGEST_LIST_LIMIT = 15  # enterprises listed one by one before the rest is summarised
CHART_TITLE_STATUS = "本周各企业隐患情况"
CHART_TITLE_TREND = "近 8 周隐患趋势"
CHART_FOUND = "新发现"
CHART_CLOSED = "已销号"
CHART_OPEN = "未销号"
CHART_OVERDUE = "逾期"
CHART_COUNT = "项数"
CHART_NONE = "本周无数据"
CHART_OTHERS = "其他企业"
CHART_WEEK = "{month}月{day}日"
WEEK_USAGE = "用法：/week [上周|本周|2026-W48]，不写时为上周。例如：/week 本周、/week 2026-W47。"
WEEK_BAD = "没看懂“{text}”。" + WEEK_USAGE
WEEK_FUTURE = "{label} 还没有开始，没有可统计的数据。"
WEEK_WORDS_LAST = ("上周", "last")
WEEK_WORDS_THIS = ("本周", "这周", "this")
CHART_FAILED = "（图表暂时无法生成，已记录。）"
CHART_DISK_FULL = "（服务器磁盘空间不足，图表未能生成，请联系管理员。）"

# Overdue escalation.
OVERDUE_REMIND = "提醒：{enterprise}的隐患 {code}（{description}）整改期限已过，{overdue}。请尽快整改，并回复隐患卡片随照片发送 /fix <整改情况>；如需延期请发送 /extend {code} <新期限> <原因>。"
OVERDUE_ESCALATE = "逾期升级：{enterprise}的{level} {code}（{description}）{overdue}，尚未整改。请督促企业整改，或发送 /hazard {code} 查看详情。"
OVERDUE_OFFICER = "包联企业隐患逾期：{enterprise}的{level} {code}（{description}）{overdue}，尚未整改。您是该企业的包片干部，请督促企业整改，或发送 /hazard {code} 查看详情。"
OVERDUE_OFFICER_FIRST = "逾期满 {days} 天仍未整改的，将同时告知其他管理人员。"
OVERDUE_ESCALATE_GROUP = "逾期升级：{level} {code}（{enterprise}）{overdue}，尚未整改，请管理人员督办。"
OVERDUE_REMIND_GROUP = (
    "{name}，隐患 {code} 整改期限已过，请尽快整改并发送 /fix {code} <整改情况>（附照片）。"
    "私聊机器人发送 /start，以后逾期提醒会私下发给您。"
)

# The period summary (年度总结).
SUMMARY_USAGE = (
    "用法：/summary <年份>，或 /summary <起始日期> <结束日期>；末尾加 word 发送可编辑的 Word 文稿。\n"
    "例如：/summary 2026、/summary 2026 word、/summary 2026-01-01 2026-06-30。"
)
SUMMARY_BAD_DATE = "没看懂日期“{text}”。" + SUMMARY_USAGE
SUMMARY_BAD_ORDER = "起始日期 {start} 晚于结束日期 {end}，请对调后重新发送。"
SUMMARY_INSPECTION_FOUND = "、检查发现问题隐患 {count} 条"
SUMMARY_DRILL_KINDS = "（{kinds}）"
SUMMARY_DRILL_KIND = "{kind} {count} 次"
SUMMARY_TRAINING_SCOPES = "（{scopes}）"
SUMMARY_TRAINING_EXTERNAL = "外部培训 {count} 次"
SUMMARY_TRAINING_INTERNAL = "内部培训 {count} 次"
SUMMARY_OTHER_MEETINGS = "、{items}"
SUMMARY_DOCUMENTS = "印发{items}，"
SUMMARY_CAMPAIGNS = "开展专项行动 {campaigns} 项（完成率 {rate}），"
SUMMARY_TABLE = "数据表："
SUMMARY_ROWS = (
    ("召开例会（次）", "meetings"),
    ("召开动员会、专题会（次）", "mobilisation"),
    ("召开培训会（次）", "training_meetings"),
    ("召开其他会议（次）", "other_meetings"),
    ("会议回执率", "receipt_rate"),
    ("会议出席率（已登记出席的会议）", "attendance_rate"),
    ("印发方案（件）", "plan"),
    ("印发预案（件）", "emergency_plan"),
    ("印发制度（件）", "regulation"),
    ("发布通报（件）", "bulletin"),
    ("发布通知（份）", "notices"),
    ("专项行动（项）", "campaigns"),
    ("专项行动完成率", "campaign_rate"),
    ("安全检查（次）", "inspections"),
    ("检查人次", "person_times"),
    ("排查隐患（项）", "found"),
    ("其中重大隐患（项）", "major"),
    ("立即整改（项）", "immediate"),
    ("限期整改（项）", "deadline"),
    ("已销号（项）", "closed"),
    ("整改销号率", "rate"),
    ("尚未销号（项）", "open"),
    ("应急演练（次/人次）", "drills"),
    ("演练类型（次）", "drill_kinds"),
    ("安全培训（次/人次）", "trainings"),
    ("包片干部（人）/包联企业（家）", "officers"),
)
# Officers per enterprise (包片包户), as assigned on the day the summary is asked for: the table's value.
SUMMARY_OFFICERS_VALUE = "{officers}/{enterprises}"
SUMMARY_NOT_YET = "—"
SUMMARY_NOTE = "注：隐患数按期间内发现的隐患统计（不含撤销的误报），整改状态截至今天；“—”表示该项暂无统计来源。"

# Recording inspections, drills and trainings.
INSPECTION_USAGE = (
    "用法：/inspection <日期> <人次> <企业…> [检查内容]\n"
    "例如：/inspection 11月28日 6 华油 宏达 消防设施专项检查，或 /inspection 12月5日 华油 3人次\n"
    "企业写名称或别名，可写多家；写“全园区”表示全部在册企业。人次可写在企业前面或后面。"
)
INSPECTION_BAD_DATE = "没看懂日期“{text}”。" + INSPECTION_USAGE
INSPECTION_BAD_COUNT = "人次要写一个正整数（例如 6），现在是“{text}”。" + INSPECTION_USAGE
INSPECTION_NO_ENTERPRISE = "请至少写一家企业（名称或别名），或写“全园区”。" + INSPECTION_USAGE
INSPECTION_DONE = "已登记检查：{day}，{enterprises}，{person_times} 人次{activity}。本年度已登记检查 {count} 次。"
INSPECTION_RECORD_DENIED = "只有管理人员可以补登检查记录。检查专家请用 /开始检查 与 /结束检查 记录现场检查。"

# Inspections opened and closed (/inspection start, /inspection end): hazards found meanwhile are linked.
INSPECTION_START_WORDS = ("start", "开始")
INSPECTION_END_WORDS = ("end", "结束")
INSPECTION_START_USAGE = (
    "用法：/开始检查 <名称> <企业…|全园区> [@同行检查人员…] [N人次]\n"
    "例如：/开始检查 冬季消防检查 华油 宏达 @赵工 3人次，或 /inspection start 节前安全检查 全园区\n"
    "检查进行期间，您和同行检查人员为这些企业上报的隐患都计入这次检查；检查完毕发送 /结束检查。"
)
INSPECTION_START_NO_ENTERPRISE = "请写明检查的企业（名称或别名），或写“全园区”。\n" + INSPECTION_START_USAGE
INSPECTION_START_BAD_COUNT = "人次要写一个正整数（例如 3人次），现在是“{text}”。\n" + INSPECTION_START_USAGE
INSPECTION_STARTED = (
    "已开始检查“{name}”：{enterprises}，{person_times} 人次。\n"
    "检查期间{who}上报的这些企业的隐患将计入本次检查；检查完毕请发送 /结束检查。"
)
INSPECTION_REFUSALS = {
    "not_allowed": "只有管理人员和检查专家可以开始或结束检查。",
    "already_open": "您还有一次检查“{name}”未结束，请先发送 /结束检查。",
    "none_open": "您当前没有进行中的检查。开始检查请发送 /开始检查 <名称> <企业…|全园区>。",
    "member_not_allowed": "{name} 不是管理人员或检查专家，不能列为检查人员。",
}
INSPECTION_RECHECK_OPEN = "\n复查对象：以上企业尚未销号的隐患 {count} 项，请逐项核对：\n{lines}{more}"
INSPECTION_RECHECK_LINE = "· {code} {enterprise}：{description}"
INSPECTION_RECHECK_MORE = "\n……另有 {count} 项，可发送 /hazards <企业> 查看。"
INSPECTION_RECHECK_NONE = "\n复查对象：以上企业目前没有未销号的隐患。"
INSPECTION_RECHECK_ALL_CLOSED = "\n复查结果：这些企业的隐患均已销号。"
INSPECTION_RECHECK_STILL_OPEN = (
    "\n复查结果：复查后仍未销号的隐患 {count} 项：{codes}。\n"
    "如需通报，可发送 /notice 关于{name}仍未整改隐患的通报 ……（写明上述编号；标题含“通报”即记为通报）。"
)
INSPECTION_RECHECK_ETC = "等"
INSPECTION_STARTED_YOU = "您"
INSPECTION_STARTED_WITH = "您和{names}"
INSPECTION_MEMBER_UNKNOWN = "没有找到检查人员“{text}”（请写 @用户名 或姓名）。"
INSPECTION_MEMBER_AMBIGUOUS = "“{text}”对应多人：{names}。请写得更具体（@用户名）。"
INSPECTION_CARD = (
    "【检查情况】{name}\n"
    "检查时间：{start} 至 {end}\n"
    "检查人员：{who}，{person_times} 人次\n"
    "覆盖企业：{enterprises}\n"
    "发现隐患 {found} 项{major}，其中立即整改 {immediate} 项、限期整改 {deadline} 项{undecided}。"
    "{codes}"
)
INSPECTION_CARD_MAJOR = "（重大隐患 {count} 项）"
INSPECTION_CARD_UNDECIDED = "、尚未确定整改方式 {count} 项"
INSPECTION_CARD_CODES = "\n隐患编号：{codes}"
INSPECTION_ENTERPRISES_MANY = "{first}等 {count} 家企业"
DRILL_USAGE = (
    "用法：/drill <日期> <名称> <企业|全园区> [地点] [人数]\n"
    "名称里写明演练类型（消防、火灾、危化品泄漏、防汛等），类型由名称判断，其余记为“其他”。\n"
    "例如：/drill 2026-11-20 消防演练 华油 二车间 45（或 45人）"
)
DRILL_BAD_DATE = "没看懂日期“{text}”。" + DRILL_USAGE
DRILL_BAD_KIND = "名称“{text}”里要有“演练”或演练类型（如 消防、防汛）；培训请用 /training 登记。" + DRILL_USAGE
DRILL_BAD_COUNT = "人数要写一个正整数（例如 45），现在是“{text}”。" + DRILL_USAGE
DRILL_DONE = "已登记应急演练（{kind}）：{day}，{title}，{where}{place}{people}。本年度已登记演练 {count} 次。"
DRILL_PLACE = "，地点：{place}"
DRILL_KIND_NAMES = {"fire": "消防", "chemical_leak": "危化品泄漏", "flood": "防汛", "other": "其他"}
DRILL_PEOPLE = "，{count} 人参加"
# A training written with /drill (/drill 今天 安全培训 华油 45): recorded as a training, pointing at /training.
DRILL_AS_TRAINING = "已登记安全培训：{day}，{title}，{where}{people}。本年度已登记培训 {count} 次。（培训也可用 /training 登记主办单位、天数等。）"
TRAINING_USAGE = (
    "用法：/training <日期> <名称> [主办单位] [外部|内部] [天数] <企业…|全园区> <人次>\n"
    "企业写名称或别名，可写多家；写“全园区”表示全部在册企业。天数写“2天”“半天”，不写为 1 天。"
    "主办单位也可写成“主办：县应急管理局”。\n"
    "例如：/training 4月15日 特种设备安全培训 县市场监管局 外部 全园区 60人次\n"
    "或：/training 5月10日 安全执法培训 主办：县应急管理局 外部 2天 华油 宏达 35人次"
)
TRAINING_BAD_DATE = "没看懂日期“{text}”。" + TRAINING_USAGE
TRAINING_NO_COUNT = "请写参训人次（例如 60人次）。" + TRAINING_USAGE
TRAINING_BAD_DAYS = "天数“{text}”看不懂，请写“1天”“2天”或“半天”。" + TRAINING_USAGE
TRAINING_NO_TITLE = "请写培训名称（例如 特种设备安全培训）。" + TRAINING_USAGE
TRAINING_NO_ENTERPRISE = "请写参训企业（名称或别名，可写多家），或写“全园区”。" + TRAINING_USAGE
TRAINING_TWO_SCOPES = "“外部”和“内部”只能写一个。" + TRAINING_USAGE
TRAINING_DONE = (
    "已登记安全培训：{day}，{title}{organiser}，{scope}{days}，{enterprises}，{person_times} 人次。"
    "本年度已登记培训 {count} 次、{year_people} 人次。"
)
TRAINING_ORGANISER = "（主办：{organiser}）"
TRAINING_EXTERNAL = "外部培训"
TRAINING_INTERNAL = "内部培训"
TRAINING_SCOPE_UNSAID = "培训"
TRAINING_DAYS = "，{days} 天"
TRAINING_EXTERNAL_WORDS = ("外部", "外部培训", "外训", "外请", "外聘")
TRAINING_INTERNAL_WORDS = ("内部", "内部培训", "内训")
TRAINING_ORGANISER_LABELS = ("主办单位", "主办", "组织单位", "承办单位", "承办", "授课单位")
# Organisers are usually written as an office: a word ending so (and not naming the training) is taken
# as the organiser when no 主办： label says it.
TRAINING_ORGANISER_ENDINGS = ("局", "委", "委员会", "管委会", "中心", "协会", "学会", "院", "站", "所", "队", "部", "科", "办", "公司", "集团", "学校")
HALF_DAY_WORDS = ("半天", "半日", "0.5天")
CHINESE_NUMBERS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
RECORDS_USAGE = "用法：/{command} [年份]，不写时为今年。例如：/{command} 2026。"
RECORDS_BAD_YEAR = "没看懂年份“{text}”。" + RECORDS_USAGE
DRILLS_TITLE = "【{year}年应急演练】共 {count} 次、参演 {people} 人次{kinds}"
DRILLS_NONE = "{year}年还没有登记应急演练。登记：/drill <日期> <名称> <企业|全园区> [地点] [人数]"
DRILLS_LINE = "{n}. {day} {title}（{kind}）{where}{place}{people}"
TRAININGS_TITLE = "【{year}年安全培训】共 {count} 次、{people} 人次{scopes}"
TRAININGS_NONE = "{year}年还没有登记安全培训。登记：/training <日期> <名称> [主办单位] [外部|内部] [天数] <企业…|全园区> <人次>"
TRAININGS_LINE = "{n}. {day} {title}{organiser}，{scope}{days}，{enterprises}{people}"
TRAININGS_PEOPLE = "，{count} 人次"
RECORDS_MORE = "……另有 {count} 条未列出，可用 /export 或按期间 /summary 查看统计。"
RECORDS_LIST_LIMIT = 40
PARK_WIDE_WORDS = ("全园区", "园区", "全部")
PARK_WIDE = "全园区"
DATE_FUTURE = "日期 {day} 还没到，请登记已经开展的活动。"
DATE_WORDS = {"今天": 0, "昨天": 1, "前天": 2}

# The Excel ledger (隐患台账).
EXPORT_USAGE = "用法：/export [年份|起始日期 结束日期]，不写时导出今年。例如：/export 2026、/export 2026-01-01 2026-06-30。"
EXPORT_BAD = "没看懂“{text}”。" + EXPORT_USAGE
EXPORT_DONE = "隐患台账（{period}）已导出：{count} 项隐患。台账链头 {head}，可用 safetybot ledger verify 核对。"
EXPORT_WORKING = "正在生成隐患台账（{period}），生成后发给您。"
EXPORT_WORKING_PRIVATELY = "正在生成隐患台账（{period}），生成后私聊发给您。"
DISK_FULL = "服务器磁盘空间不足，无法生成文件，请联系管理员。"
DISK_FULL_ADMINS = "服务器磁盘空间不足：{what}未能生成。请清理服务器磁盘（生成的文件在 {folder}）；清理前，导出和周报图表都无法生成。"
DISK_FULL_EXPORT = "隐患台账导出文件"
EXPORT_FILE_NAME = "隐患台账-{period}.xlsx"
EXPORT_PERIOD_YEAR = "{year}年"
EXPORT_PERIOD_RANGE = "{start}至{end}"
XLSX_LEDGER_SHEET = "隐患台账"
XLSX_STATS_SHEET = "隐患统计"
XLSX_CAMPAIGN_SHEET = "专项行动"
XLSX_CHECK_SHEET = "台账校验"
XLSX_LEDGER_TITLE = "{park}隐患排查治理台账（{period}）　导出时间：{at}　台账链头：{head}"
XLSX_LEDGER_HEADERS = (
    ("序号", 6),
    ("隐患编号", 15),
    ("发现日期", 12),
    ("企业", 22),
    ("部位", 14),
    ("隐患描述", 40),
    ("来源", 10),
    ("上报人", 10),
    ("类别", 10),
    ("等级", 9),
    ("整改方式", 9),
    ("整改措施", 30),
    ("资金（万元）", 10),
    ("责任人", 10),
    ("整改期限", 12),
    ("整改完成日期", 12),
    ("验收人", 10),
    ("验收日期", 12),
    ("状态", 10),
    ("整改前照片", 14),
    ("整改后照片", 14),
    ("包片干部", 10),
)
XLSX_PHOTO_LINK = "查看（{count} 张）"
XLSX_SOURCE_NAMES = {"snapshot": "随手拍", "expert": "专家", "inspection": "检查"}
XLSX_SOURCE_IN = "{source}（{activity}）"  # found in a campaign: 检查（消防安全百日攻坚）
XLSX_PAGE_FOOTER = "第 &P 页 共 &N 页"  # Excel's page number and page count
XLSX_SIGN_LINE = "制表人：　　　　　　　　审核人：　　　　　　　　日期：　　　　年　　月　　日"
XLSX_STATS_TITLE = "{park}隐患排查治理情况统计表（{period}）"
XLSX_STATS_HEADERS = (
    ("企业", 24),
    ("一般隐患（项）", 12),
    ("已整改（项）", 12),
    ("整改率", 10),
    ("重大隐患（项）", 12),
    ("已整改（项）", 12),
    ("整改率", 10),
    ("列入治理计划（项）", 14),
    ("落实资金（万元）", 14),
)
XLSX_STATS_TOTAL = "合计"
XLSX_CAMPAIGN_TITLE = "{park}专项行动完成情况（{period}）"
XLSX_CAMPAIGN_HEADERS = (("专项行动", 28), ("企业", 24), ("完成情况", 12), ("报告时间", 18))
XLSX_CAMPAIGN_NONE = "本期间没有专项行动。"
XLSX_NOTICES_SHEET = "会议与文件"
XLSX_NOTICES_TITLE = "{park}会议与文件（{period}）：召开会议按会议时间、印发文件按发布日期统计，不含取消和撤回的"
XLSX_NOTICES_COUNTS = (("类别", 18), ("数量", 10))
XLSX_NOTICES_MEETINGS = "会议：{name}（次）"
XLSX_NOTICES_DOCUMENTS = "文件：{name}（件）"
XLSX_NOTICES_HEADERS = (("编号", 14), ("类别", 18), ("标题", 48), ("日期", 12))
XLSX_LETTERS_SHEET = "目标责任状"
XLSX_LETTERS_TITLE = "{park}目标责任状签订情况（{period}）"
XLSX_LETTERS_HEADERS = (("年度", 8), ("企业", 30), ("状态", 10), ("签订时间", 18), ("回传人", 12), ("签字件", 30))
XLSX_LETTERS_SIGNED = "已签订"
XLSX_LETTERS_UNSIGNED = "未签订"
XLSX_LETTERS_FILE = "查看《{name}》"
XLSX_LETTERS_PHOTO = "查看照片（{count} 张）"
XLSX_LETTERS_NONE = "本期间没有下发目标责任状。"
XLSX_NOTICES_NONE = "本期间没有召开的会议或印发的文件。"
XLSX_CHECK_ROWS = (
    "台账链头事件编号：{event_id}",
    "台账链头哈希：{head}",
    "导出时间：{at}",
    "核对方法：在服务器上运行 safetybot ledger verify，输出的链头应与此处一致；不一致说明台账在导出后被改动。",
)
XLSX_CHECK_POSTED = (
    "最近在园区群公布的台账校验码：{short}（{at} 随周报发布，截至第 {events} 条记录）；"
    "运行 safetybot ledger verify --head {short} 可证明当前台账仍包含该记录之前的全部内容。"
)
XLSX_CHECK_NOT_POSTED = "尚未在园区群公布台账校验码（每周一随周报发布）。"
XLSX_NO_CHAIN = "无（台账暂无记录）"
OVERDUE_REMIND_MANY = (
    "提醒：{enterprise}有 {count} 项隐患已过整改期限：\n{lines}\n"
    "请尽快整改：回复隐患卡片随照片发送 /fix <整改情况>；如需延期请发送 /extend YH-… <新期限> <原因>。"
)
OVERDUE_REMIND_LINE = "· {code} {description}（{overdue}）"


# --- review fixes: notices, receipts, campaigns (issue #9) ---------------------------------------
FILES_DOCUMENTS = "{names}"
FILES_PHOTOS = "照片 {count} 张"
MEETING_HOW = "各企业安全负责人或员工点“收到”即为本企业回执；不能参加请点“请假”并说明原因。"
NOTICE_NO_LEAVE = "{code} 是通知，不是会议，只需回执“收到”，不需要请假。请点通知卡片上的“收到”，或发送 /confirm {code}。"
RECEIPT_ANSWERED_BY = "{enterprise}已由{name}回执（{answer}）；如需更改请联系本企业安全负责人。"
SOMEONE = "本企业其他人员"
MEETING_REPLY_HINT = (
    "回执 {code}：请点通知卡片上的“收到”或“请假”，或回复卡片“收到”；"
    "不能参加请回复“请假 原因”，例如：请假 出差在外 代参会：王五。"
)
NOTICE_REPLY_HINT = "回执 {code}：请点通知卡片上的“收到”，或回复卡片“收到”，或发送 /confirm {code}。"
NOTICE_BAD_CODE = "没有找到通知“{text}”：通知编号形如 HY-2026-01（会议）或 TZ-2026-01（通知）。"
REMIND_GROUP_MEETING = "点通知卡片上的“收到”，不能参加请点“请假”。"
REMIND_GROUP_NOTICE = "点通知卡片上的“收到”。"
REPORT_ALREADY_ACCEPTED = "{enterprise}的 {code} 自查报告已审核通过，无需重复。"
REPORT_FILED_UNDER = "已记入目前唯一进行中的专项行动 {code}（{title}）：“{text}”不是行动编号或名称，全文作为说明。"
LEVEL_DOWNGRADE_REFUSED = "{code} 是重大隐患，只有包片干部或检查专家可以改为一般隐患。如确需调整，请联系包片干部。"
LEVEL_DOWNGRADED = "注意：{actor} 已将 {enterprise} 的重大隐患 {code} 改为一般隐患。"

# --- adding to what one sent (补充材料) and files held for the next notice -------------------------

ADDED_NOTE = "说明 1 条"
ADDED_PHOTOS = "照片 {count} 张"
ADDED_DOCUMENTS = "文件{names}"
ADDED_SEPARATOR = "、"
REPORT_ADD_WINDOW = "接下来 {minutes} 分钟内在这里发送的照片和文件会补充到这份报告；之后要补充，请回复这条消息（审核前都可以）。"
REPORT_ADDED = "已补充到{enterprise}的 {code} 自查报告：{what}。"
REPORT_ADDED_NOTE = "{enterprise}补充了 {code} 自查报告的材料：{what}。"
ADD_NOTHING = "这些照片或文件已经有了，没有重复添加。"
REPORT_CARD_REPLY_MANAGER = "审核这份自查报告请点卡片上的“审核通过”或“退回”，或回复本卡片 /report_accept、/report_return <原因>。"
RF_NOTE_LINE = "【{when} {what}】{note}"
RF_NOTE_WHAT = {"first": "提交", "submit": "重新提交", "add": "补充"}
FIX_ADD_WINDOW = "接下来 {minutes} 分钟内在这里发送的照片和 PDF 会补充为整改后材料；之后要补充，请回复这条消息或隐患卡片（验收前都可以）。"
NOTICE_ADD_WINDOW = "接下来 {minutes} 分钟内在这里发送的照片和文件会补充到这份{kind}，各群的卡片随之更新。"
FILES_HELD = (
    "已收到{what}。先为您保留 {minutes} 分钟：接下来发布的通知（/notice、/meeting）或专项行动（/campaign）"
    "会附上它们，也可以继续发送其他文件。如果不是要发布通知，点“不用了”。"
)
FILES_HELD_MORE = "已收到{what}，和之前的文件一起保留，发布通知时附上。"
FILES_HELD_ATTACHED = "已附上您之前发送的{what}。"
FILES_HELD_DROPPED = "好的，这些文件不会附到通知上。"
FILES_HELD_GONE = "这些文件已不再保留（超过时间或已附到通知上）。"
BTN_FILES_DROP = "不用了"
QUESTION_NAMES.update(
    {
        "files_held": "要附到通知上的文件",
        "campaign_report_more": "自查报告的补充材料",
        "hazard_fix_more": "整改的补充材料",
        "notice_more": "通知的补充附件",
    }
)
REPORT_WHAT["add"] = "补充材料"
REPORT_ASK_MORE = "{code}（{title}）自查报告正在审核：请发送要补充的说明、照片或文件（PDF、Word、Excel），24 小时内有效。发送 /cancel 放弃。"
RF_NOTE_WITH_FILES = "{note}（{files}）"
FILES_HELD_HAZARD_HINT = "如果照片是要上报的隐患，请点“不用了”，再发照片并在说明里写 /hazard <描述>。"
REPORT_ALBUM_MORE = "{enterprise}的 {code} 自查报告（同一相册）：{what}。"

# --- 我的待办 (/todo, and /start for a known person) -------------------------------------------------
START_KNOWN = "您好，{name}！我是{park}的安全生产小助手。"
START_KNOWN_FOOTER = "发送 /todo 可随时查看待办，/help 查看您可以使用的命令。"
TODO_TITLE = "我的待办（{role}{scope}）："
TODO_SCOPE_ENTERPRISE = "，{enterprise}"
TODO_SCOPE_PARK = "，全园区"
TODO_NONE = "目前没有等您处理的事项。"
TODO_NO_ENTERPRISE = "您还没有绑定企业，没有企业的待办。"
TODO_SENT_PRIVATELY = "{name}，您的待办已私聊发给您。"
TODO_MORE = "……另有 {count} 项，发送 {command} 查看。"
TODO_SHOWN = 5  # items per section, each with its buttons
TODO_VERIFY = "待验收的整改 {count} 项："
TODO_OFFICER = "我包联的企业（{count} 家）："
TODO_OFFICER_LINE = "· {enterprise}：{said}"
TODO_OFFICER_FIX = "待整改 {count} 项{overdue}"
TODO_OFFICER_OVERDUE = "（逾期 {count} 项）"
TODO_OFFICER_AWAITING = "待验收 {count} 项"
TODO_OFFICER_CLEAR = "暂无未销号隐患"
TODO_VERIFY_LINE = "{major}{code} {enterprise}｜{description}"
TODO_FIX = "待整改的隐患 {count} 项："
TODO_REJECTED = "｜验收未通过：{reason}"
TODO_DUE_SOON = "即将到期或已逾期的隐患 {count} 项（{days} 天内到期）："
TODO_ANSWER = "待回执的通知 {count} 项："
TODO_ANSWER_LINE = "{code} {title}{when}"
TODO_ANSWER_WHEN = "｜{when} {place}"
TODO_SUBMIT = "待提交的自查报告 {count} 项："
TODO_SUBMIT_LINE = "{code} {title}｜截止 {due}{late}{returned}"
TODO_SUBMIT_LATE = "，已逾期"
TODO_SUBMIT_RETURNED = "｜已退回：{reason}"
TODO_REVIEW = "待审核的自查报告 {count} 项："
TODO_REVIEW_LINE = "{code} {title}｜{enterprise}"
BTN_TODO_ITEM = "{code} {label}"

# --- knowledge quiz (知识答题) ---
HELP["quiz"] = (
    "/quiz（/答题）— 参加知识答题（私聊逐题作答，中断后再发 /quiz 继续）；"
    "管理员：/quiz <标题> <题数> <截止> [企业…] 发起，/quiz 题库（随 CSV/Excel 文件）导入题库，"
    "/quiz end [编号] 结束，/quiz 成绩 [编号] 导出成绩表"
)
QUIZ_KINDS = {"single": "单选", "multiple": "多选", "judge": "判断"}
QUIZ_JUDGE_LABELS = {"A": "对", "B": "错"}
QUIZ_USAGE = (
    "发起知识答题：/quiz <标题> <题目> <截止> [时间] [企业…]\n"
    "· 题目：10题（从题库随机抽 10 道）、题号1-10,15（按题号）或 全部\n"
    "· 截止：12月20日、2026-12-20、7天内，可再写时间 18:00（不写为当天 23:59）\n"
    "· 企业：不写为全部企业；写企业名称或简称，只限这些企业的人员参加\n"
    "例：/quiz 2026安全月知识答题 10题 12月20日\n"
    "导入题库：随 CSV 或 Excel 文件发送 /quiz 题库；结束：/quiz end [编号]；成绩表：/quiz 成绩 [编号]。"
)
QUIZ_OPEN_LINE = "进行中：第{id}期 {title}｜截止 {until}"
QUIZ_NOT_ALLOWED = "发起、结束知识答题和导入题库需要管理员或包片干部身份。"
QUIZ_NOT_FOR_ROLE = "知识答题面向各企业的安全负责人和员工；发送 /help 查看您可以使用的命令。"
QUIZ_NONE = "还没有发起过知识答题。"
QUIZ_NONE_OPEN = "目前没有您可以参加的知识答题。"
QUIZ_NOT_FOUND = "没有第{id}期知识答题。请用 /quiz 查看进行中的答题。"
QUIZ_BAD_NUMBER = "“{text}”不是答题编号：请写数字，例如 /quiz end 3。"
QUIZ_NEED_QUESTIONS = "请写出题目：10题（随机抽取）、题号1-10 或 全部。\n" + QUIZ_USAGE
QUIZ_BAD_QUESTIONS = "“{text}”看不懂：题号请写成 题号1-10,15（从小到大，一次最多 100 道）。"
QUIZ_NEED_END = "请写出截止日期，例如 12月20日 或 7天内。\n" + QUIZ_USAGE
QUIZ_BAD_END = "截止日期“{text}”看不懂：请写 12月20日、2026-12-20 或 7天内。"
QUIZ_PAST_END = "截止时间已经过去了，请写一个以后的时间。"
QUIZ_BAD_ENTERPRISE = "找不到企业“{text}”：请写企业全称或简称（/enterprises 查看名单），多个企业用空格分开。"
QUIZ_EMPTY_BANK = "题库还是空的：请先随 CSV 或 Excel 文件发送 /quiz 题库 导入题目。"
QUIZ_TOO_FEW = "题库只有 {have} 道题，不够抽 {wanted} 道（一次最多 100 道）。"
QUIZ_UNKNOWN_QUESTIONS = "题库里没有这些题号：{numbers}。发送 /quiz 题库 查看题号范围。"
QUIZ_STARTED = "已发起第{id}期知识答题《{title}》，共 {count} 道题，卡片已发到园区群。"
QUIZ_ENDED = "第{id}期知识答题《{title}》已结束，成绩表稍后私聊发给您。"
QUIZ_ENDED_ALREADY = "这期知识答题已经结束了。"
QUIZ_CARD_TITLE = "知识答题 第{id}期"
QF_TITLE = "名称"
QF_QUESTIONS = "题目"
QF_UNTIL = "截止"
QF_SCOPE = "参加范围"
QF_FINISHED = "已完成"
QF_AVERAGE = "平均分"
QF_ENTERPRISES = "各企业"
QF_HOW = "说明"
QUIZ_QUESTION_COUNT = "{count} 道"
QUIZ_SCOPE_ALL = "全部企业"
QUIZ_FINISHED_COUNT = "{finished}/{people} 人"
QUIZ_AVERAGE = "{average} 分"
QUIZ_NO_AVERAGE = "—"
QUIZ_ENTERPRISE_LINE = "{enterprise}：完成 {finished}/{people} 人，平均 {average}"
QUIZ_ENTERPRISE_NOBODY = "{enterprise}：暂无登记人员"
QUIZ_HOW = "点“开始答题”，在私聊中逐题作答；中途停下可再点一次或发送 /quiz 继续。每人限答一次。"
QUIZ_STATUS_OPEN = "进行中"
QUIZ_STATUS_CLOSED = "已结束"
BTN_QUIZ_BEGIN = "开始答题"
BTN_QUIZ_SUBMIT = "提交"
QUIZ_QUESTION_TITLE = "{title}｜第 {number}/{total} 题（{kind}）"
QF_QUESTION = "题目"
QF_OPTIONS = "选项"
QF_TICKED = "已选"
QF_CHOSEN = "您的答案"
QF_ANSWER = "正确答案"
QF_EXPLANATION = "解析"
QUIZ_MULTIPLE_HOW = "多选题：点选项勾选或取消，选好后点“提交”（也可以发送 /quiz ACD 这样的字母作答）。"
QUIZ_JUDGE_WORDS = {"对": "A", "正确": "A", "√": "A", "错": "B", "错误": "B", "×": "B"}
QUIZ_ANSWER_PRIVATELY = "答题请在私聊中进行：点“开始答题”或私聊发送 /quiz。"
QUIZ_NOTHING_TO_ANSWER = "您没有正在作答的题目：点群里答题卡片上的“开始答题”，或发送 /quiz 开始。"
QUIZ_BAD_TYPED = "“{text}”不是这道题的选项：单选题写一个字母（如 /quiz B），多选题写全部所选字母（如 /quiz ACD），判断题写 /quiz 对 或 /quiz 错。"
QUIZ_TICKED = "☑ {letter}"
QUIZ_UNTICKED = "☐ {letter}"
QUIZ_TICKED_TOAST = "已选：{ticked}"
QUIZ_STATUS_ASKING = "请作答"
QUIZ_RIGHT = "回答正确"
QUIZ_WRONG = "回答错误"
QUIZ_BEGUN = "开始答题：《{title}》共 {total} 道题，逐题作答，答完一题即显示正确答案和解析。"
QUIZ_GO_ON = "继续答题：《{title}》已答 {answered}/{total} 题，接着答下一题。"
QUIZ_DONE = "《{title}》已答完：答对 {correct}/{total} 题，得分 {score} 分。感谢参与！"
QUIZ_TAKEN = "您已经完成这期答题（答对 {correct}/{total} 题，{score} 分），每人只能答一次。"
QUIZ_CLOSED = "这期知识答题已经结束，不能再作答了。"
QUIZ_NOT_INVITED = "这期知识答题不在您企业的参加范围内。"
QUIZ_NOT_YOURS = "这个按钮不属于您正在答的题，没有做任何改动。"
QUIZ_ANSWERED = "这道题已经答过了，答案不能更改。"
QUIZ_BAD_OPTION = "这个选项无效，没有做任何改动。"
QUIZ_NOTHING_TICKED = "请先勾选至少一个选项，再点“提交”。"
QUIZ_NEED_PRIVATE = "{name}，答题在私聊中进行：请先私聊我发送 /start，再点“开始答题”或发送 /quiz。"
QUIZ_SENT_PRIVATELY = "题目已私聊发给您"
QUIZ_SENT_PRIVATELY_NAMED = "{name}，题目已私聊发给您。"
QUIZ_BANK_HOW = (
    "导入题库：随 CSV 或 Excel（.xlsx）文件发送 /quiz 题库。\n"
)
QUIZ_BANK_COLUMNS = (
    "表头（第 1 行）：题型（单选/多选/判断）、题目、A、B、C、D（可到 F；判断题不用填）、答案（如 A、ACD；"
    "判断题写 对/错）、解析（可选）。样例见 docs/samples/知识答题题库样例.csv。"
)
QUIZ_BANK_HOW = QUIZ_BANK_HOW + QUIZ_BANK_COLUMNS
QUIZ_BANK_NEED_FILE = "请随 CSV 或 Excel（.xlsx）文件发送 /quiz 题库。\n" + QUIZ_BANK_COLUMNS
QUIZ_BANK_NOT_TABLE = "《{name}》不是 CSV 或 Excel（.xlsx）表格，读不出题目。"
QUIZ_BANK_REFUSED = "《{name}》有 {count} 处问题，题库没有导入，请改好后重新发送："
QUIZ_BANK_ROW = "第 {line} 行：{problem}"
QUIZ_BANK_MORE_ERRORS = "……另有 {count} 处问题。"
QUIZ_BANK_PROBLEMS = {
    "no_header": "第 1 行应是表头，缺少：{detail}",
    "no_rows": "表格里没有题目{detail}",
    "too_many_rows": "一次最多导入 {detail} 道题，请分几次导入",
    "bad_kind": "题型“{detail}”应为 单选、多选 或 判断",
    "no_question": "题目是空的",
    "too_long": "{detail}太长了（题目、解析最多 500 字，选项最多 200 字）",
    "too_few_options": "选择题至少要有 A、B 两个选项",
    "gap_in_options": "选项要从 A 起连续填写，{detail} 前面有空着的选项",
    "no_answer": "没有填答案",
    "bad_answer": "答案“{answer}”应为选项字母 {first}–{last}（多选题如 ACD；判断题写 对 或 错）",
    "one_answer": "单选题和判断题只能有一个答案，写的是“{detail}”",
    "twice": "与第 {detail} 行的题目重复",
}
QUIZ_BANK_IMPORTED = "《{name}》已导入 {added} 道题。"
QUIZ_BANK_SKIPPED = "另有 {count} 道题库里已有，未重复导入。"
QUIZ_BANK_EMPTY = "题库还是空的。"
QUIZ_BANK_SUMMARY = "题库共 {total} 道题（{parts}），题号 {first}–{last}。"
QUIZ_SHEET_WORKING = "第{id}期知识答题《{title}》的成绩表正在生成，稍后私聊发给您。"
QUIZ_SHEET_SENT = "第{id}期知识答题《{title}》成绩表：共 {count} 人参加。"
QUIZ_SHEET_FILE = "知识答题第{id}期成绩表.xlsx"
QUIZ_SHEET_PEOPLE = "成绩"
QUIZ_SHEET_ENTERPRISES = "企业汇总"
QUIZ_SHEET_HEADER = ("企业", "姓名", "开始时间", "完成时间", "已答题数", "答对题数", "总题数", "得分", "状态")
QUIZ_SHEET_ENTERPRISE_HEADER = ("企业", "人员数", "参加人数", "完成人数", "平均分")
QUIZ_SHEET_DONE = "已完成"
QUIZ_SHEET_NOT_DONE = "未完成"
# --- emergency command roster and roll call (应急救援指挥部、应急点名) ---
EMERGENCY_HELP = {
    "emergency": "/emergency（/应急）— 私聊查看应急救援指挥部：先打应急办和值班人员的电话",
    "roster": "/roster（/应急名单）[add|remove|link|import] — 应急救援指挥部成员名单（查看：包片干部、管理员；录入：管理员）",
    "alert": "/alert（/点名）<说明> — 应急点名：每位成员私聊收到「到」按钮，群里卡片显示谁几分钟内应答；/alert end 结束",
    "here": "/here — 应急点名时回答「到」（也可按消息上的「到」按钮）",
}
ROSTER_USAGE = (
    "应急救援指挥部名单的用法：\n"
    "· /roster — 查看名单（私聊发送，含电话）\n"
    "· /roster add <姓名> <指挥部职务> <单位> <电话> [电话2] [代理人：姓名] [值班：1] [办公室]\n"
    "  例：/roster add 王强 总指挥 管委会 <手机号> 代理人：李明 值班：1\n"
    "  「办公室」表示在应急办（负责协调）；「值班：n」是值班顺序，1 最先联系。同名再 add 即修改。\n"
    "· /roster remove <姓名> — 移出指挥部\n"
    "· /roster link <姓名> <@用户名|聊天中的名字> — 关联聊天账号（点名时私聊通知）；/roster link <姓名> 取消\n"
    "· /roster import — 随本命令发送 Excel 名单（.xlsx），列：姓名、职务、单位、电话、代理人、办公室、值班顺序、账号"
)
ROSTER_ONLY_ADMINS = "修改应急救援指挥部名单需要管理员身份。"
ROSTER_EMPTY = "应急救援指挥部名单还没有录入。管理员可发送 /roster add … 或 /roster import 录入。"
ROSTER_TITLE = "应急救援指挥部（{count} 人）："
ROSTER_LINE = "{order}{name}｜{role}｜{unit}｜{phones}{deputy}{office}{account}"
ROSTER_ORDER = "{order}. "
ROSTER_DEPUTY = "｜代理人：{deputy}"
ROSTER_OFFICE = "｜应急办"
ROSTER_ACCOUNT = "｜已关联 {name}"
ROSTER_UNLINKED = "未关联聊天账号（{count} 人，点名时无法私聊通知，请电话联系或用 /roster link 关联）：{names}"
ROSTER_ALL_LINKED = "全部成员已关联聊天账号。"
ROSTER_SAVED = "已录入应急救援指挥部成员：{name}（{role}，{unit}）。{linked}"
ROSTER_CHANGED = "已修改应急救援指挥部成员：{name}（{role}，{unit}）。{linked}"
ROSTER_LINKED_TO = "已关联聊天账号：{person}。"
ROSTER_NOT_LINKED = "未找到同名的聊天账号，点名时无法私聊通知；可用 /roster link {name} <@用户名> 关联。"
ROSTER_REMOVED = "已将 {name} 移出应急救援指挥部。"
ROSTER_LINK_DONE = "已将 {name} 关联到聊天账号 {person}，点名时私聊通知。"
ROSTER_UNLINK_DONE = "已取消 {name} 的聊天账号关联。"
ROSTER_UNLINK_WORDS = ("取消", "无", "-")
ROSTER_LINK_USAGE = "请写成：/roster link <姓名> <@用户名|聊天中的名字>，例如 /roster link 王强 @wangqiang；取消关联：/roster link 王强 取消"
ROSTER_LINK_WHO = "没有找到聊天账号「{text}」（对方需先给我发过消息）。请写 @用户名 或对方在聊天中的名字。"
ROSTER_LINK_MANY = "「{text}」对应多个聊天账号：{names}。请改写 @用户名。"
ROSTER_REMOVE_USAGE = "请写成：/roster remove <姓名>，例如 /roster remove 王强"
ROSTER_ADD_MISSING = "缺少{what}。请写成：/roster add <姓名> <指挥部职务> <单位> <电话>，例如 /roster add 王强 总指挥 管委会 <手机号> 值班：1"
ROSTER_ADD_WHAT = ("姓名", "指挥部职务", "单位")
ROSTER_BAD_WORD = "看不懂「{word}」：电话只写数字（可带 - 或 +），代理人写成「代理人：姓名」，值班顺序写成「值班：1」，应急办成员写「办公室」。"
ROSTER_NOT_MEMBER = "应急救援指挥部里没有「{name}」。发送 /roster 查看名单。"
ROSTER_BAD_NAME = "姓名、职务、代理人要写成不含空格的词（姓名、职务不超过 50 字，单位不超过 100 字）。"
ROSTER_NO_PHONE = "请至少写一个电话：手机号或带区号的座机号（区号和号码之间可用 - 连接）。"
ROSTER_TOO_MANY_PHONES = "每位成员最多写 3 个电话。"
ROSTER_BAD_PHONE = "电话看不懂：只写数字（可带 - 或开头的 +），6 到 20 位，多个电话用空格分开。"
ROSTER_BAD_ORDER = "值班顺序写 1 到 99 的数字，1 最先联系。"
ROSTER_PERSON_TAKEN = "{person} 已关联到成员 {holder}，一个聊天账号只能关联一名成员。"
ROSTER_ACCOUNT_UNKNOWN = "账号「{account}」没有找到唯一的聊天账号（对方需先给我发过消息；重名时写 @用户名）。"
ROSTER_FILE_LINE = "名单第 {line} 行："
ROSTER_IMPORT_NEED_FILE = "请随 /roster import 发送名单文件（Excel .xlsx 或 CSV，第一行是列名：姓名、职务、单位、电话，可选 代理人、办公室、值班顺序、账号）。"
ROSTER_IMPORTED = "已导入应急救援指挥部名单：新增 {added} 人，修改 {changed} 人，现共 {total} 人。\n{unlinked}"
ROSTER_FILE_PROBLEMS = {
    "not_text": "文件不是 UTF-8 或 GBK 编码的表格。",
    "not_table": "文件不是能读取的 Excel 表格（.xlsx）。",
    "no_column": "第一行缺少「{value}」列。",
    "empty_field": "第 {line} 行的「{value}」是空的。",
    "twice": "第 {line} 行：{value} 出现了两次。",
    "bad_office": "第 {line} 行：办公室一栏写「是」或「否」，不是「{value}」。",
    "bad_duty": "第 {line} 行：值班顺序写数字，不是「{value}」。",
    "too_many": "名单超过 {value} 行。",
}
ROSTER_FIELDS = {"name": "姓名", "role": "职务", "unit": "单位", "phones": "电话"}
ROSTER_NOTHING_IMPORTED = "名单没有导入（{problem}）请改正后重新发送。"
ROSTER_SENT_PRIVATELY = "{name}，名单已私聊发给您（群里不公布电话）。"
ROSTER_NEED_PRIVATE = "{name}，含电话的名单只私聊发送。请先私聊我发送 /start，再发一次这个命令。"

EMERGENCY_TITLE = "应急救援指挥部：出现险情先打以下电话"
EMERGENCY_OFFICE = "应急办（负责协调）："
EMERGENCY_CHAIN = "值班顺序："
EMERGENCY_LINE = "{order}{name}（{role}，{unit}）：{phones}{deputy}"
EMERGENCY_DEPUTY = "；联系不上找 {deputy}"
EMERGENCY_NO_CHAIN = "（还没有排值班顺序：管理员用 /roster add … 值班：1 设置）"
EMERGENCY_FOOTER = "指挥部共 {count} 人；紧急情况同时拨打 119 / 120 / 110。"
EMERGENCY_SENT_PRIVATELY = "{name}，应急联系人和电话已私聊发给您（群里不公布电话）。"
EMERGENCY_NEED_PRIVATE = "{name}，应急联系电话只私聊发送。请先私聊我发送 /start，再发 /emergency。紧急情况请直接拨打 119 / 120 / 110。"

ALERT_USAGE = "请写成：/alert <说明>，例如 /alert 2号罐区泄漏，请指挥部成员立即应答；演练点名：/alert 演练 消防疏散演练。结束点名：/alert end"
ALERT_END_WORDS = ("end", "结束", "stop")
ALERT_ONLY_MANAGERS = "应急点名需要管理员或包片干部身份。"
ALERT_OPEN = "已有一次点名正在进行（{note}，{when} 开始）。请先发送 /alert end 结束它。"
ALERT_NONE_OPEN = "现在没有进行中的点名。"
ALERT_NOBODY = "应急救援指挥部名单还没有成员，无法点名。管理员可用 /roster add 或 /roster import 录入。"
ALERT_CARD_TITLE = "应急点名：{note}"
ALERT_CARD_TITLE_DRILL = "演练点名：{note}"
AF_CALLER = "发起"
AF_CALLER_VALUE = "{name}，{when}"
AF_ANSWERED = "应答"
AF_ANSWERED_VALUE = "{answered}/{total}"
AF_HERE = "已到"
AF_HERE_LINE = "{name} {minutes}分钟"
AF_SILENT = "未到"
AF_SILENT_REMINDED = "（已提醒{times}次）"
AF_NO_ACCOUNT = "无聊天账号"
AF_NO_ACCOUNT_VALUE = "{names}（请电话联系）"
AF_DRILL = "演练记录"
AF_DRILL_VALUE = "结束后可用 /drill 登记本次演练，参加人数按已到 {answered} 人"
ALERT_STATUS_OPEN = "点名中"
ALERT_STATUS_DONE = "已结束（历时 {minutes} 分钟）"
BTN_HERE = "到"
ALERT_ASK = "【{kind}】{note}\n{caller} 发起点名，请立即按「到」应答（或发送 /here）。"
ALERT_KIND = "应急点名"
ALERT_KIND_DRILL = "演练点名"
ALERT_REMIND = "【{kind}提醒】{note}\n您还没有应答，请立即按「到」（已过 {minutes} 分钟）。"
ALERT_STARTED = "已发起点名：私聊通知 {asked} 人。{missing}"
ALERT_MISSING = "以下成员无法私聊通知，请电话联系：\n{lines}"
ALERT_MISSING_NAMES = "以下成员无法私聊通知，请电话联系（电话见私聊 /roster 或 /emergency）：{names}"
ALERT_MISSING_SENT = "无法私聊通知的 {count} 名成员及其电话已私聊发给您，请电话联系。"
ALERT_MISSING_LINE = "· {name}（{role}）：{phones}"
ALERT_HERE_DONE = "已应答「到」（{minutes} 分钟）。"
ALERT_HERE_AGAIN = "您已于 {when} 应答过「到」，无需重复。"
ALERT_NOT_ASKED = "您不在这次点名的名单里，或点名不存在；没有做任何改动。"
ALERT_ENDED = "这次点名已经结束，没有再记录应答。"
ALERT_NO_CALL = "现在没有进行中的点名。"
ALERT_END_DONE = "点名已结束：已到 {answered}/{total}{drill}。"
ALERT_END_DRILL = "；可用 /drill 登记本次演练（参加 {answered} 人）"
TODO_HERE = "应急点名待应答：{note}（请按「到」）"
# --- backfill (补录) ---
BACKFILL_HELP = "/backfill（/补录）<类别> <日期> <内容> — 补录往年或过去的纸质记录：会议、通知（方案、预案…）、专项行动、检查、隐患、培训、演练；按实际日期计入统计，不发通知、不提醒"
BACKFILL_USAGE = (
    "用法：/补录 <类别> <日期> <内容>（也可写 /backfill）\n"
    "类别：会议（例会、动员会）、通知（方案、预案、制度、通报）、专项行动、检查、隐患、培训、演练\n"
    "日期写实际日期：2025-03-05、2025-3-5、2025年3月5日；只写 3月5日 时，按前面写的年份（如 /补录 2025年 会议 3月5日 …），"
    "没写年份则取今天以前最近的这一天。不能补录今天以后的日期。\n"
    "例如：\n"
    "/补录 会议 2025-03-05 三月份安全例会\n"
    "/补录 方案 2025-04-01 消防安全专项整治方案\n"
    "/补录 专项行动 2025-03-01 消防安全百日攻坚 截止 2025-06-10\n"
    "/补录 检查 2025-03-12 6人次 华油 宏达 消防设施专项检查\n"
    "/补录 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05\n"
    "/补录 隐患 2025-05-06 宏达 仓库 消防通道堆放杂物 限期 2025-05-20 整改 2025-05-18 验收 2025-05-21\n"
    "/补录 培训 2025-04-15 特种设备安全培训 县市场监管局 外部 全园区 60人次\n"
    "/补录 演练 2025-06-12 消防演练 宏达 40人\n"
    "补录的记录标“补录”，不发到群里、不提醒企业，按实际日期计入周报、年度总结和台账。"
)
BACKFILL_BAD_KIND = "没看懂要补录的类别“{text}”。\n" + BACKFILL_USAGE
BACKFILL_NO_DATE = "请在类别后写实际日期，例如 2025-03-05 或 2025年3月5日。\n" + BACKFILL_USAGE
BACKFILL_BAD_DATE = "没看懂日期“{text}”。请写 2025-03-05、2025-3-5、2025年3月5日 或 3月5日。\n" + BACKFILL_USAGE
BACKFILL_FUTURE = "日期 {day} 还没到：补录只记已经发生的事。今后的会议、通知请用 /meeting、/notice 发布。"
BACKFILL_NO_TITLE = "请写{kind}的名称，例如：{example}"
BACKFILL_MARK = "【补录】"
BACKFILL_TAG = "（补录）"
BACKFILL_NOTE = "已按实际日期计入 {period} 的统计；没有发到群里，也不会提醒企业。"
BACKFILL_MEETING_DONE = "【补录】会议 {code}（{category}）：{when} {title}{place}。"
BACKFILL_NOTICE_DONE = "【补录】文件 {code}（{category}）：{day} {title}。"
BACKFILL_PLACE = "，地点：{place}"
BACKFILL_CAMPAIGN_DONE = "【补录】专项行动 {code}：{title}，{start} 至 {due}。"
BACKFILL_CAMPAIGN_BAD_DUE = "截止日期“{text}”看不懂或早于开始日期 {start}。例如：/补录 专项行动 2025-03-01 消防安全百日攻坚 截止 2025-06-10"
BACKFILL_CAMPAIGN_RUNNING = "截止日期 {due} 还没到：仍在进行的专项行动请用 /campaign 发布，企业才能提交自查报告。"
BACKFILL_MEETING_EXAMPLE = "/补录 会议 2025-03-05 三月份安全例会"
BACKFILL_NOTICE_EXAMPLE = "/补录 方案 2025-04-01 消防安全专项整治方案"
BACKFILL_CAMPAIGN_EXAMPLE = "/补录 专项行动 2025-03-01 消防安全百日攻坚 截止 2025-06-10"
BACKFILL_KIND_NAMES = {"meeting": "会议", "notice": "文件", "campaign": "专项行动"}
BACKFILL_OTHER_USAGE = "补录的写法：/补录 {kind} <日期> …，日期之后的内容与 {command} 相同。"
BACKFILL_HAZARD_USAGE = (
    "补录隐患的写法：/补录 隐患 <发现日期> <企业> [部位] <隐患描述> [立即整改 [日期] | 限期 <日期> [整改 <日期>]] 验收 <日期> [检查：<检查名称>]\n"
    "例如：/补录 隐患 2025-04-02 华油 二车间配电室 电线裸露 立即整改 2025-04-03 验收 2025-04-05\n"
    "写“检查：消防设施专项检查”时，隐患计入那次（已补录的）检查发现的隐患。\n"
    "补录的隐患须已整改并验收销号；仍未整改的隐患请用 /hazard 登记，以便提醒整改。"
)
BACKFILL_HAZARD_NO_ENTERPRISE = "请在日期后写企业名称或别名。\n" + BACKFILL_HAZARD_USAGE
BACKFILL_HAZARD_NO_DESCRIPTION = "请写隐患描述。\n" + BACKFILL_HAZARD_USAGE
BACKFILL_HAZARD_NO_ACCEPTANCE = "请写验收日期（验收 2025-04-05）。\n" + BACKFILL_HAZARD_USAGE
BACKFILL_HAZARD_NO_INSPECTION = (
    "没有找到 {day} 以前、检查了{enterprise}的检查“{name}”。请先补录这次检查（/补录 检查 <日期> <人次> <企业…> {name}），"
    "或不写“检查：…”。"
)
BACKFILL_HAZARD_NO_INSPECTION_NAME = "“检查：”后面要写检查的名称，例如：检查：消防设施专项检查。"
BACKFILL_HAZARD_INSPECTION = "，检查：{name}"
BACKFILL_HAZARD_DATE_AFTER = "“{word}”后面要写日期，例如：{word} 2025-04-05。\n" + BACKFILL_HAZARD_USAGE
BACKFILL_HAZARD_BOTH_MODES = "“立即整改”和“限期”只能写一个。\n" + BACKFILL_HAZARD_USAGE
BACKFILL_HAZARD_ORDER = "日期先后不对：{what}。请按 发现 ≤ 整改 ≤ 验收 的顺序写。"
BACKFILL_HAZARD_FIX_BEFORE_FOUND = "整改日期 {fixed} 早于发现日期 {found}"
BACKFILL_HAZARD_ACCEPT_BEFORE_FIX = "验收日期 {accepted} 早于整改日期 {fixed}"
BACKFILL_HAZARD_DUE_BEFORE_FOUND = "限期 {due} 早于发现日期 {found}"
BACKFILL_HAZARD_DONE = (
    "【补录】隐患 {code}：{enterprise}{location}｜{description}\n"
    "发现 {found}{inspection}，{mode}，整改 {fixed}，验收销号 {accepted}。"
)
BACKFILL_HAZARD_LOCATION = "｜{location}"
BACKFILL_HAZARD_IMMEDIATE = "立即整改"
BACKFILL_HAZARD_DEADLINE = "限期整改（{due} 前）"
BACKFILL_FIX_NOTE = "补录：{mode}"
# What a clerk types as the kind of a back-filled record, and the words of a back-filled hazard's story
BACKFILL_KINDS = {
    "会议": "meeting", "例会": "meeting:regular", "动员会": "meeting:mobilisation", "专题会": "meeting:mobilisation",
    "培训会": "meeting:training", "通知": "notice", "文件": "notice", "方案": "notice:plan",
    "预案": "notice:emergency_plan", "制度": "notice:regulation", "通报": "notice:bulletin",
    "专项行动": "campaign", "行动": "campaign", "检查": "inspection", "隐患": "hazard",
    "培训": "training", "演练": "drill", "演习": "drill",
}  # fmt: skip
BACKFILL_IMMEDIATE_WORDS = ("立即整改", "立即", "当场整改", "现场整改")
BACKFILL_DEADLINE_WORDS = ("限期整改", "限期")
BACKFILL_FIXED_WORDS = ("整改", "整改完成", "完成整改", "完成")
BACKFILL_ACCEPTED_WORDS = ("验收", "验收通过", "销号")
BACKFILL_DUE_WORDS = ("截止", "至", "到")
BACKFILL_PLACE_LABEL = ("地点：", "地点:", "位置：", "位置:", "部位：", "部位:")
BACKFILL_INSPECTION_LABEL = ("检查：", "检查:")
XLSX_CAMPAIGN_NO_TASKS = "（补录，未分企业记录）"
BACKFILL_EVENT = "补录（{at} 录入）"
BACKFILL_NO_RECEIPTS = "{code}（{title}）是补录的记录：按实际日期计入统计，不收回执、不提醒。"
DIGEST_CAMPAIGN_NO_TASKS = "· {title}：补录，未分企业记录"
# --- supplies ---
# Emergency supplies (应急物资) with their checks, and publicity counts (宣传): handlers/supplies/,
# the digest section (handlers/reports/supplies_section.py) and the export sheet (handlers/reports/supplies_sheet.py).
HELP.update(
    {
        "supply": "/supply（/物资）add <名称> <数量> <存放地点> <每月|每季度|每半年|每年|有效期至 日期> [负责人 姓名] — 登记或更新应急物资；/supply import 随Excel表导入；/supply <编号> 查看",
        "supplies": "/supplies（/应急物资）— 私下查看应急物资清单和下次检查日期",
        "check": "/check（/物资检查）<编号或名称> [备注] [有效期至 日期] — 随照片记录一次物资检查，顺延下次检查日期",
        "publicity": "/publicity（/宣传）<宣传品> <数量><单位> [日期] — 记录宣传发放或悬挂（如 宣传单页 2000 份）；不带内容查看本年合计",
    }
)
SUPPLY_PARK_STORE = "园区仓库"
SUPPLY_CYCLE_NAMES = {"monthly": "每月检查", "quarterly": "每季度检查", "half_yearly": "每半年检查", "yearly": "每年检查"}
SUPPLY_NO_CYCLE = "按有效期更换"
SUPPLY_DUE_CHECK = "下次检查"
SUPPLY_DUE_EXPIRY = "有效期至"
SUPPLY_LEFT = "还有 {days} 天"
SUPPLY_TODAY = "今天到期"
SUPPLY_LATE = "已逾期 {days} 天"
SUPPLY_LINE = "{code} {name} {quantity}{unit}｜{place}｜{cycle}｜{due}｜负责人 {person}"
SUPPLY_USAGE = (
    "登记应急物资请这样写：\n"
    "/supply add 灭火器 20具 园区仓库 每月 负责人 李干部\n"
    "/supply add 安全帽 50顶 华油 二车间 有效期至 2028-06-30\n"
    "名称、数量、存放地点（园区仓库或企业名称，后面可写具体位置），检查周期（每月、每季度、每半年、每年）或有效期至少写一个。"
    "同一地点同名的物资会更新数量和周期。\n"
    "批量导入：发送Excel表（列：名称、数量、单位、存放地点、检查周期、有效期、上次检查、负责人），说明写 /supply import。\n"
    "查看：/supplies 清单，/supply WZ-001 某一项及检查记录。"
)
SUPPLY_USAGE_VIEW = "查看应急物资：/supplies 清单，/supply WZ-001 某一项及检查记录。记录检查：随照片发送 /check WZ-001 [备注]。"
SUPPLY_ONLY_MANAGERS = "登记和导入应急物资需要管理员或包片干部身份。查看清单请发 /supplies。"
SUPPLY_ADD_PROBLEMS = {
    "no_name": "没有写物资名称。",
    "no_quantity": "没有写“{text}”的数量，例如 20具。",
    "bad_quantity": "数量“{text}”不对，请写 1 以上的整数。",
    "no_due": "“{text}”需要检查周期（每月、每季度、每半年、每年）或有效期（有效期至 2028-06-30），至少写一个。",
    "bad_date": "日期“{text}”不存在，请写成 2028-06-30。",
}
SUPPLY_PLACE_UNKNOWN = "存放地点“{place}”既不是园区仓库，也不是园区的企业。请写“园区仓库”或企业全称、简称，后面可接具体位置。"
SUPPLY_PERSON_UNKNOWN = "找不到负责人“{person}”：请写对方在群里的名字或 @用户名（对方需要先给我发过消息）。"
SUPPLY_PERSON_SEVERAL = "有多人叫“{person}”，请写 @用户名。"
SUPPLY_NO_DUE = "应急物资需要检查周期（每月、每季度、每半年、每年）或有效期，至少写一个。"
SUPPLY_BAD_QUANTITY = "数量请写 1 到 1000000 之间的整数。"
SUPPLY_RETIRED = "这项物资已不在清单上。"
SUPPLY_ADDED = "已登记应急物资 {code}："
SUPPLY_UPDATED = "已更新应急物资 {code}："
SUPPLY_NOT_FOUND = "找不到应急物资“{text}”。请写编号（如 WZ-001）或名称，发 /supplies 查看清单。"
SUPPLY_WHICH = "“{text}”有多项，请写编号：{items}"
SUPPLY_SHOW_TITLE = "应急物资 {code} {name}"
SUPPLY_CHECKS_HEAD = "最近检查："
SUPPLY_CHECK_LINE = "· {when} {person}{note}"
SUPPLY_NO_CHECKS = "还没有检查记录。"
SUPPLY_IMPORT_USAGE = "请随Excel表（.xlsx）或 CSV 文件发送 /supply import。表头：名称、数量、单位、存放地点、检查周期、有效期、上次检查、负责人；名称和数量必填，检查周期和有效期至少填一个。"
SUPPLY_IMPORT_COLUMNS = {
    "header": "表头",
    "name": "名称",
    "quantity": "数量",
    "cycle": "检查周期",
    "expiry": "有效期",
    "last_checked": "上次检查",
    "due": "检查周期或有效期",
    "file": "文件",
}
SUPPLY_IMPORT_BAD = "导入失败：第 {line} 行的“{column}”不对（{value}）。没有导入任何一行，请改正后重新发送。\n检查周期写 每月、每季度、每半年 或 每年；日期写 2028-06-30；数量写整数。"
SUPPLY_IMPORT_PLACE = "导入失败：第 {line} 行的存放地点“{place}”既不是园区仓库，也不是园区的企业。"
SUPPLY_IMPORT_PERSON = "导入失败：第 {line} 行的负责人“{person}”找不到（对方需要先给我发过消息）。"
SUPPLY_IMPORT_PEOPLE = "导入失败：第 {line} 行的负责人“{person}”有多人同名，请写 @用户名。"
SUPPLY_IMPORT_NOTHING = "没有导入任何一行，请改正后重新发送。"
SUPPLY_IMPORTED = "已导入《{name}》：新增 {added} 项，更新 {updated} 项。发 /supplies 查看清单。"
SUPPLIES_TITLE = "应急物资清单（{count} 项，共 {pieces} 件）："
SUPPLIES_LATE = "其中 {count} 项已逾期，请尽快检查或更换。"
SUPPLIES_HOW = "记录检查：随照片发送 /check 编号 [备注]；更换后写 /check 编号 有效期至 2029-06-30。"
SUPPLIES_NONE = "还没有登记应急物资。\n" + SUPPLY_USAGE
SUPPLIES_NONE_VIEW = "还没有登记应急物资。"
SUPPLIES_SENT_PRIVATELY = "{name}，应急物资清单已私聊发给您。"
SUPPLIES_NEED_PRIVATE = "{name}，应急物资清单私聊发送：请先私聊我发送 /start，再发一次 /supplies。"
SUPPLY_ADD_HOW = "例如：/supply add 灭火器 20具 园区仓库 每月 负责人 李干部，或 /supply add 安全帽 50顶 华油 二车间 有效期至 2028-06-30。发 /supply 查看完整写法。"
CHECK_USAGE = (
    "记录物资检查：随照片发送 /check WZ-001 压力正常（编号或名称，后面可写备注）；"
    "更换了有效期的物资请写 /check WZ-001 已更换 有效期至 2029-06-30。"
)
SUPPLY_CHECK_NOT_ALLOWED = "记录物资检查需要企业安全负责人、包片干部或管理员身份。"
SUPPLY_ASK_PHOTO = "请发送 {code} {name} 的现场照片（24小时内有效），检查即记录；也可以随照片重新发送 /check {code} [备注]。发 /cancel 取消。"
SUPPLY_CHECK_NEED_PHOTO = "记录 {code} {name} 的检查需要附现场照片：请随照片发送 /check {code} [备注]。"
SUPPLY_NOT_YOURS = "{code} 存放在{place}，您不能记录它的检查：企业安全负责人记录本企业的物资，园区仓库的由管委会记录。"
SUPPLY_CHECKED = "已记录 {code} {name} 的检查（照片 {photos} 张）。{due}。"
SUPPLY_CHECKED_TOLD = "{person} 已记录 {code} {name} 的检查。{due}。"
SUPPLY_WHAT_CHECK = "检查"
SUPPLY_WHAT_EXPIRY = "有效期到期（需更换）"
SUPPLY_REMIND = (
    "提醒：应急物资 {code} {name} {quantity}{unit}（{place}）将于 {day} {what}，还有 {days} 天。"
    "检查后请随照片发送 /check {code} [备注]。"
)
SUPPLY_OVERDUE_KEEPER = (
    "应急物资 {code} {name} {quantity}{unit}（{place}）应于 {day} {what}，已逾期 {days} 天，请尽快处理，"
    "并随照片发送 /check {code} [备注]。"
)
SUPPLY_OVERDUE_MANAGERS = "应急物资逾期：{code} {name}（{place}）应于 {day} {what}，已逾期 {days} 天。负责人：{person}。"
SUPPLY_REMIND_GROUP = "{name}，应急物资 {codes} 的检查快到期或已逾期，请检查后随照片发送 /check 编号。私聊我发送 /start 后，提醒会私下发给您。"
SUPPLY_REMIND_MANY = "提醒：您负责的 {count} 项应急物资 7 天内到期："
SUPPLY_OVERDUE_MANY = "您负责的 {count} 项应急物资已逾期，请尽快处理："
SUPPLY_OWED_LINE = "· {code} {name} {quantity}{unit}（{place}）{day} {what}"
SUPPLY_OWED_HOW = "检查后请随照片发送 /check 编号 [备注]；更换后写 /check 编号 有效期至 2029-06-30。"
SUPPLY_OVERDUE_MANAGERS_MANY = "应急物资逾期 {count} 项："
SUPPLY_OVERDUE_MANAGERS_LINE = "· {code} {name}（{place}）应于 {day} {what}，已逾期 {days} 天，负责人：{person}"
DIGEST_SUPPLIES = "应急物资 30 天内到期 {count} 项："
DIGEST_SUPPLIES_LINE = "· {code} {name}（{place}）{what} {day}{late}"
DIGEST_SUPPLIES_LATE = "，已逾期"
DIGEST_SUPPLIES_MORE = "……另有 {count} 项，发 /supplies 查看。"
XLSX_SUPPLIES_SHEET = "应急物资"
XLSX_SUPPLIES_TITLE = "{park}应急物资及检查情况（截至 {day}；检查记录：{period}）"
XLSX_SUPPLIES_HEADERS = (
    ("编号", 10),
    ("名称", 14),
    ("数量", 8),
    ("单位", 6),
    ("存放地点", 30),
    ("检查周期", 12),
    ("有效期至", 12),
    ("下次检查", 12),
    ("状态", 12),
    ("负责人", 10),
    ("最近检查", 18),
    ("本期检查次数", 12),
    ("最近检查照片", 20),
)
XLSX_SUPPLIES_OK = "正常"
XLSX_SUPPLIES_SOON = "30天内到期"
XLSX_SUPPLIES_LATE = "已逾期 {days} 天"
XLSX_SUPPLIES_PHOTO = "查看照片（{count} 张）"
XLSX_SUPPLIES_NONE = "还没有登记应急物资。"
PUBLICITY_USAGE = (
    "记录宣传请这样写：/publicity 宣传单页 2000 份\n"
    "可一次写多项，可加日期：/publicity 横幅 20 幅、手册 300 本 6月16日\n"
    "活动写成：/publicity 安全咨询日活动 1 场。不写日期记为今天；/publicity 2025 查看其他年份合计。"
)
PUBLICITY_PROBLEMS = {
    "empty": "没有写宣传内容。",
    "no_count": "“{text}”没有写数量，例如 宣传单页 2000 份。",
    "bad_count": "“{text}”的数量不对，请写 1 到 10000000 之间的整数。",
    "bad_date": "日期不对（{text}）：请写今天或以前的日期，例如 6月16日 或 2026-06-16。",
    "no_item": "数量“{text}”前后没有写宣传品名称，例如 宣传单页 2000 份。",
}
PUBLICITY_ONLY_MANAGERS = "记录宣传需要管理员或包片干部身份。"
PUBLICITY_RECORDED = "已记录{day}的宣传：{items}。发 /publicity 查看{year}年合计。"
PUBLICITY_TOTAL_LINE = "{item} {count} {unit}"
PUBLICITY_RECORDS = "（{count} 次记录）"
PUBLICITY_TOTALS_TITLE = "{year}年宣传合计："
PUBLICITY_NONE = "{year}年还没有宣传记录。"
QUESTION_NAMES.update({"supply_check_photo": "物资检查照片", "supply_check_more": "物资检查照片"})

# --- wecom ---
WECOM_CARD_SOURCE = "园区安全生产"
WECOM_CARD_MORE = "更多操作（@机器人 发送）："
WECOM_CARD_DONE = "已处理"
WECOM_CARD_UPDATED = "（状态更新）"
# --- web desk ---
HELP.update({"web": "/web — 私聊中获取网页工作台的一次性登录链接（10 分钟内有效，只能用一次）"})
WEB_LINK = (
    "网页工作台登录链接（{minutes} 分钟内有效，只能打开一次，请勿转发）：\n{url}\n"
    "在电脑或手机浏览器中打开即可查看隐患台账、照片、回执和专项行动；12 小时不操作会自动退出。"
)
WEB_PRIVATE_ONLY = "登录链接只在私聊中发送：请私聊我发送 /web。"
WEB_OFF = "网页工作台尚未开启（配置 [web] listen 为空），请联系管理员。"
WEB_NOT_ALLOWED = "网页工作台供管委会管理人员和企业安全负责人使用；您目前的身份是：{role}。"
WEB_TOO_MANY = "一小时内最多获取 {count} 次登录链接，请稍后再试，或使用刚才收到的链接。"
WEB_USAGE = "用法：在私聊中发送 /web（不带其他内容），我会回复一次性登录链接。"

# --- year-end summary (年度总结, drafted: /summary <年份> [word]) ---------------------------------------
SUMMARY_WORD_WORDS = ("word", "docx", "文稿", "文档")  # the last word of /summary asking for the Word document
SUMMARY_DRAFT_TITLE_YEAR = "【{park}{year}年度安全生产工作总结（数据稿）】"
SUMMARY_DRAFT_TITLE_RANGE = "【{park}安全生产工作总结数据（{start} 至 {end}）】"
# The sections in the order a park's summary is written; the chat puts the heading before its paragraph.
SUMMARY_SECTIONS = ("一、责任体系", "二、会议", "三、文件", "四、检查", "五、应急")
SUMMARY_DUTY = "园区在册企业 {enterprises} 家，{letters}{officers}"
SUMMARY_DUTY_OFFICERS = "落实包片包户责任，包片干部 {officers} 人，包联企业 {enterprises} 家。"
SUMMARY_DUTY_NO_OFFICERS = "尚未指定包片干部（管理员发送 /officer <企业…> <干部> 指定）。"
SUMMARY_DUTY_LETTERS = "与 {count} 家企业签订目标责任状，"
SUMMARY_DUTY_NO_LETTERS = "期间内尚无企业签订目标责任状，"
SUMMARY_SECTION_MEETINGS = "召开安全生产例会 {meetings} 次{others}（回执率 {rate}，出席率 {attendance}）。{scheduled}"
SUMMARY_SECTION_SCHEDULED = "另有 {count} 次会议已安排、尚未召开。"
SUMMARY_SECTION_DOCUMENTS = "{documents}发布通知 {notices} 份。"
SUMMARY_SECTION_CHECKS = (
    "{campaigns}开展安全检查 {inspections} 次、出动检查人员 {person_times} 人次{inspection_found}，"
    "排查安全隐患 {found} 项（其中重大隐患 {major} 项），"
    "已整改 {rectified} 项（立即整改 {immediate} 项、限期整改 {deadline} 项），已验收销号 {closed} 项，整改销号率 {rate}，"
    "尚未销号 {open} 项{bulletins}。"
)
SUMMARY_SECTION_BULLETINS = "；对整改不到位的企业发布通报 {count} 件"
SUMMARY_SECTION_EMERGENCY = (
    "开展应急演练 {drills} 次{drill_kinds}、参演 {drill_people} 人次；"
    "组织安全培训 {trainings} 次、{training_people} 人次{training_scopes}。"
)
SUMMARY_SECTION_LINE = "{heading}：{text}"
# Month by month: in the chat one line per section, only the months with something; in Word a table.
SUMMARY_MONTHS_LINE = "　按月：{items}"
SUMMARY_MONTHS_ITEM = "{label} {months}"
SUMMARY_MONTH_VALUE = "{month}{value}"
SUMMARY_MONTH = "{month}月"
SUMMARY_MONTH_OF_YEAR = "{year}年{month}月"
SUMMARY_MONTHLY = (  # per section: (label, series key) — a key of `domain/reports/year.MONTHLY_KEYS` or a kind
    (("签订责任状", "letters"),),
    (("例会", "regular"), ("动员会", "mobilisation"), ("培训会", "training"), ("其他会议", "other")),
    (("方案", "plan"), ("预案", "emergency_plan"), ("制度", "regulation"), ("通知", "plain")),
    (
        ("检查", "inspections"),
        ("人次", "person_times"),
        ("发现隐患", "found"),
        ("立即整改", "immediate"),
        ("限期整改", "deadline"),
        ("已销号", "closed"),
        ("通报", "bulletin"),
    ),
    (("演练", "drills"), ("参演人次", "drill_people"), ("培训", "trainings"), ("培训人次", "training_people")),
)
SUMMARY_EXTRA_ROWS = (  # the data table's rows the year-end summary adds before the existing ones
    ("在册企业（家）", "enterprises"),
    ("签订目标责任状（家）", "letters"),
    ("检查发现问题隐患（条）", "inspection_found"),
)
# Emergency readiness and safety education (应急救援指挥部, 应急物资, 知识答题, 宣传), after the drills and trainings.
SUMMARY_READINESS_ROWS = (
    ("应急救援指挥部（人）", "command"),
    ("应急点名（次）", "roll_calls"),
    ("应急物资（项/件）", "supplies"),
    ("物资检查（次）", "supply_checks"),
    ("物资到期/逾期（项）", "supply_due"),
    ("知识答题（次/人次）", "quiz"),
    ("答题平均分", "quiz_average"),
    ("宣传品", "publicity"),
)
SUMMARY_READINESS_COMMAND = "应急救援指挥部共 {command} 人（其中应急办 {office} 人），开展应急点名 {calls} 次"
SUMMARY_READINESS_NO_COMMAND = "尚未录入应急救援指挥部名单（管理员发送 /roster add 或导入名单）"
SUMMARY_READINESS_SUPPLIES = (
    "储备应急物资 {items} 项 {pieces} 件，期间检查 {checks} 次，目前 {ok} 项在有效期内、"
    "{soon} 项 30 天内到期、{overdue} 项逾期未检"
)
SUMMARY_READINESS_QUIZ = "组织安全知识答题 {quizzes} 次，{enterprises} 家企业 {people} 人参与、{times} 人次完成，平均 {average} 分"
SUMMARY_READINESS_PUBLICITY = "发放、悬挂宣传品：{items}"
SUMMARY_READINESS_ITEM = "{item} {count} {unit}"
SUMMARY_READINESS_SENTENCE = "{parts}。"
SUMMARY_WORD_HINT = "发送 /summary {period} word 获取可编辑的 Word 文稿（含月度表、隐患周趋势图和各企业情况表）。"
SUMMARY_NO_MONTHS = "期间超过 24 个月，不列按月情况；需要按月数字请分年发送 /summary <年份>。"
SUMMARY_DATES_NOTE = "各项按记录的实际日期统计（补录的记录计入其实际日期）；在册企业和包片干部按今天的情况统计。"
SUMMARY_WORD_BAD = "“word”要写在最后，例如：/summary 2026 word。" + "\n" + SUMMARY_USAGE
SUMMARY_WORD_WORKING = "正在生成{period}安全生产工作总结 Word 文稿，生成后发给您。"
SUMMARY_WORD_WORKING_PRIVATELY = "正在生成{period}安全生产工作总结 Word 文稿，生成后私聊发给您。"
SUMMARY_WORD_DONE = "{period}安全生产工作总结（数据稿）已生成，可直接在 Word 中修改。"
SUMMARY_WORD_FILE_NAME = "安全生产工作总结-{period}.docx"
DISK_FULL_SUMMARY = "年度总结 Word 文稿"
# The Word document (python-docx): headings, tables and the chart.
DOCX_TITLE_YEAR = "{park}{year}年度安全生产工作总结"
DOCX_TITLE_RANGE = "{park}安全生产工作总结（{start} 至 {end}）"
DOCX_SUBTITLE = "（数据稿：由安全生产小助手于 {at} 根据群内登记的记录生成，数字可直接引用，文字请按需修改）"
DOCX_MONTH_HEAD = "月份"
DOCX_TOTAL = "合计"
DOCX_FIGURES = "六、主要数据"
DOCX_FIGURES_HEAD = ("项目", "数据")
DOCX_TREND = "七、隐患周趋势"
DOCX_TREND_NONE = "（期间内没有发现或销号的隐患，未绘制趋势图。）"
DOCX_TREND_FAILED = "（趋势图暂时无法生成。）"
DOCX_ENTERPRISES = "八、各企业情况"
DOCX_ENTERPRISE_HEAD = ("企业", "包片干部", "发现隐患", "已销号", "通知回执", "自查报告", "目标责任状")
DOCX_FRACTION = "{done}/{total}"
DOCX_SIGNED = "已签订（{day}）"
DOCX_UNSIGNED = "未签订"
DOCX_NO_OFFICER = "—"
CHART_TITLE_YEAR_TREND = "隐患周趋势（{period}）"
# The export's sheet of the summary's figures (年度汇总): the data, then the months.
XLSX_SUMMARY_SHEET = "年度汇总"
XLSX_SUMMARY_TITLE = "{park}安全生产工作总结数据（{period}）"
XLSX_SUMMARY_HEAD = ("项目", "数据")
