// Words of the users page's search, filters and pager (web/js/users-finder.js), of a user whose
// site or node left the config and of accounts that are one name but for case or width
// (web/js/admin-users.js). The page's other words are in i18n.js.
export const USER_STRINGS = {
  'zh-CN': {
    userSearch: '搜索用户名、姓名、单位或辖区',
    userSearchLabel: '搜索用户',
    userAllRoles: '全部角色',
    userAllStates: '全部状态',
    userCount: '共 {n} 人',
    userFound: '找到 {n} 人',
    userRange: '第 {from}–{to} 人，共 {n} 人',
    userPrev: '上一页',
    userNext: '下一页',
    userNoMatch: '没有符合条件的用户，请换个词或放宽筛选',
    userScopeGoneState: '单位或辖区已移除',
    userSiteGone: '单位已移除（{id}）',
    userNodeGone: '辖区已移除（{id}）',
    userScopeGoneHint: '配置中已没有这个单位或辖区：该用户登录后什么也看不到。请点“编辑”重新指定',
    userScopeGoneBanner:
      '有 {n} 个用户的单位或辖区已从配置中移除，登录后什么也看不到。请逐个点“编辑”，重新指定单位或辖区。',
    userScopeGoneShow: '只看这些用户',
    userSameName: '同名账号',
    userSameNameKeeps:
      '与账号 {others} 只差大小写或全角半角，登录和日志中容易认错。本账号保留此名，建议给 {others} 另起新名。',
    userSameNameRename:
      '与账号 {others} 只差大小写或全角半角，登录和日志中容易认错。建议另起新名：用新名字为此人新建账号，再停用本账号。',
    userSameNameBanner:
      '有 {n} 个账号与其他账号同名（只差大小写或全角半角），是系统统一用户名之前建的，仍可各自登录。建议后建的账号另起新名。',
    userSameNameShow: '只看同名账号',
  },
  en: {
    userSearch: 'Search by username, name, site or area',
    userSearchLabel: 'Search users',
    userAllRoles: 'All roles',
    userAllStates: 'All states',
    userCount: '{n} in all',
    userFound: '{n} found',
    userRange: '{from}–{to} of {n}',
    userPrev: 'Previous',
    userNext: 'Next',
    userNoMatch: 'No user matches; try other words or fewer filters',
    userScopeGoneState: 'Site or area removed',
    userSiteGone: 'Site removed ({id})',
    userNodeGone: 'Area removed ({id})',
    userScopeGoneHint:
      'The config no longer has this site or area: the user sees nothing. Edit to place them again',
    userScopeGoneBanner:
      '{n} users’ site or area was removed from the config; they see nothing when they log in. Edit each to place them again.',
    userScopeGoneShow: 'Show only these users',
    userSameName: 'Same name',
    userSameNameKeeps:
      'Same name as {others} but for case or width: easy to mistake at login and in the logs. This account keeps the name; a new name is advised for {others}.',
    userSameNameRename:
      'Same name as {others} but for case or width: easy to mistake at login and in the logs. A new name is advised: create this person an account under another name, then disable this one.',
    userSameNameBanner:
      '{n} accounts share a name with another, differing only in case or width (made before usernames were unified); each still logs in. A new name is advised for the later ones.',
    userSameNameShow: 'Show only these accounts',
  },
};
