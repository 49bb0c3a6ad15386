/**
 * The articles each demo portal carries, and how they are edited over revisions. Seed articles take their
 * body from the extractor's golden page; the others are short pieces written for the demo about the park's
 * industries, plus one off-topic piece per portal that a relevance filter should skip (written so it names
 * neither the park nor an industry keyword).
 */
import type { PortalId, Topic } from './types.js'

/** A change an editor makes to a page. `replace`/`move` match text inside the rendered blocks. */
export type Edit =
  | { kind: 'retitle'; title: string }
  | { kind: 'replace'; from: string; to: string }
  | { kind: 'append'; text: string }
  | { kind: 'move'; text: string; after: string }

/** One article of the catalogue. */
export interface ArticleSpec {
  id: string
  portal: PortalId
  /** Path on its host. */
  path: string
  topic: Topic
  /** Body comes from the golden page (its `title` must be the golden title). */
  seed?: boolean
  title: string
  /** ISO-8601 with offset. */
  publishedAt: string
  /** Plain-text paragraphs (not for seeds). */
  paragraphs?: string[]
  /** Reporters, rendered the way the portal credits them. */
  byline?: string
  /** `edits[r - 1]` is applied when the portal reaches revision `r`. */
  edits?: Edit[][]
  disallowed?: boolean
  jsRendered?: boolean
  /** Old path answering 301 to `path`; lists link to the old path. */
  movedFrom?: string
}

/** Every article, grouped by portal in display order (newest last within a portal). */
export const CATALOGUE: readonly ArticleSpec[] = [
  // --- 网易江苏 (netease): list pages, robots.txt with a disallowed article, a 301, a 404 ---
  {
    id: 'netease-seed',
    portal: 'netease',
    path: '/dy/article/I4R2P8JS0514D3UH.html',
    topic: 'ai',
    seed: true,
    title: '园区“一区两中心”向“高能级”迈进!',
    publishedAt: '2023-05-15T09:32:17+08:00',
    edits: [
      [{ kind: 'replace', from: '已完成36个项目签约', to: '已完成38个项目签约' }],
      [{ kind: 'append', text: '更新:截至5月15日下午,细胞疗法榜单完成申报的项目已增至131个。' }],
      [{ kind: 'retitle', title: '园区“一区两中心”加速向“高能级”迈进!' }],
    ],
  },
  {
    id: 'netease-ai',
    portal: 'netease',
    path: '/dy/article/I5K3QD2A0514D3UH.html',
    topic: 'ai',
    title: '苏州工业园区发布首批大模型应用场景 30家企业现场签约',
    publishedAt: '2023-06-02T10:15:00+08:00',
    paragraphs: [
      '6月1日,苏州工业园区举行人工智能大模型应用场景发布会,首批发布覆盖智能制造、生物医药研发、城市治理等领域的应用场景42项,30家人工智能企业与场景方现场签约。',
      '园区科技创新委员会相关负责人表示,园区将围绕算力、数据、算法三大要素,建设公共算力服务平台,对使用公共算力开展大模型训练的企业给予最高500万元补贴。',
      '截至目前,园区已集聚人工智能企业超1800家,核心产业规模突破600亿元,思必驰、科沃斯等一批龙头企业正加快推出面向行业的专用大模型。',
    ],
    edits: [
      [],
      [
        {
          kind: 'replace',
          from: '园区将围绕算力、数据、算法三大要素,建设公共算力服务平台',
          to: '园区将从算力、数据、算法三方面同步发力,加快建设公共算力服务平台',
        },
      ],
      [],
    ],
  },
  {
    id: 'netease-bio',
    portal: 'netease',
    path: '/dy/article/I6B7MN1C0514D3UH.html',
    topic: 'biomedicine',
    title: '园区企业一类创新药获批上市 今年已是第5款',
    publishedAt: '2023-06-20T16:40:00+08:00',
    paragraphs: [
      '记者从苏州工业园区获悉,园区一家生物医药企业自主研发的一类创新药近日获国家药品监督管理局批准上市,用于治疗晚期非小细胞肺癌。这是今年园区企业获批上市的第5款一类新药。',
      '该药物从立项到获批历时7年,先后在全国40余家医院开展临床试验。企业负责人介绍,园区生物医药产业园提供的中试平台和注册申报服务,帮助团队把研发周期缩短了近一年。',
      '目前,园区已集聚生物医药企业超2300家,累计获批一类新药数量居全国前列,单克隆抗体、细胞治疗和核酸药物等细分领域形成集群优势。',
    ],
  },
  {
    id: 'netease-nano',
    portal: 'netease',
    path: '/dy/article/I8D9RS5E0514D3UH.html',
    movedFrom: '/news/article/I8D9RS5E.html',
    topic: 'nanotech',
    title: '苏州纳米城二期投用 新增纳米新材料企业40家',
    publishedAt: '2023-07-08T09:00:00+08:00',
    paragraphs: [
      '7月7日,位于苏州工业园区的苏州纳米城二期正式投入使用,新增载体面积约25万平方米,首批40家纳米新材料和微纳制造企业同步入驻。',
      '纳米城运营方介绍,二期重点布局微纳柔性制造、纳米光电和第三代半导体材料等方向,配套建设了可对外开放的微纳加工公共服务平台。',
      '经过十余年发展,园区纳米技术应用产业产值已超过1400亿元,纳米城累计集聚企业超过800家,成为全球规模最大的纳米技术产业社区之一。',
    ],
  },
  {
    id: 'netease-semi',
    portal: 'netease',
    path: '/dy/article/J1PRVT9X0514D3UH.html',
    disallowed: true,
    topic: 'semiconductors',
    title: '园区氮化镓功率器件产线通线 年产能可达12万片',
    publishedAt: '2023-07-21T14:20:00+08:00',
    paragraphs: [
      '苏州工业园区一家第三代半导体企业建设的6英寸氮化镓功率器件产线日前通线,达产后年产能可达12万片,产品主要面向新能源汽车和数据中心电源。',
      '项目依托国家第三代半导体技术创新中心(苏州)的外延和器件工艺平台,关键设备国产化率超过六成。',
      '业内人士表示,氮化镓器件在快充和车载电源领域需求快速增长,园区已形成从衬底外延到器件封测的较完整产业链。',
    ],
  },
  {
    id: 'netease-food',
    portal: 'netease',
    path: '/dy/article/I7C8LP4D0514D3UH.html',
    topic: 'off-topic',
    title: '平江路美食节开幕 苏帮菜老字号集体亮相',
    publishedAt: '2023-06-28T19:30:00+08:00',
    paragraphs: [
      '6月28日晚,第六届平江路美食节在姑苏区开幕,松鹤楼、得月楼、黄天源等30多家老字号带来松鼠桂鱼、响油鳝糊、糕团点心等传统风味,吸引大批市民游客排队品尝。',
      '本届美食节持续十天,每晚设有评弹演出和手作市集。主办方提示,周末客流较大,建议错峰前往并选择公共交通出行。',
      '不少外地游客表示,一边听评弹一边吃苏式小吃,感受到了老苏州的烟火气。',
    ],
  },

  // --- 江蘇新聞網 (twmirror): traditional script with pinyin, RSS 2.0, a slow host ---
  {
    id: 'twmirror-seed',
    portal: 'twmirror',
    path: '/news/2024/0308/d7f3a21c.html',
    topic: 'ai',
    seed: true,
    title: '蘇州工業園區:大力布局三大“未來產業” 奮力邁向世界一流高科技園區',
    publishedAt: '2024-03-08T09:45:21+08:00',
  },
  {
    id: 'twmirror-nano',
    portal: 'twmirror',
    path: '/news/2024/0412/a1b2c3d4.html',
    topic: 'nanotech',
    title: '蘇州納米城新添20家納米新材料企業 微納製造平台對外開放',
    publishedAt: '2024-04-12T11:02:33+08:00',
    byline: '陳思遠',
    paragraphs: [
      '4月11日,蘇州工業園區舉行納米新材料產業對接會,20家納米新材料企業集中簽約入駐蘇州納米城,涉及柔性電子、納米塗層和微納光學等方向。',
      '會上,園區微納製造公共服務平台宣布向中小企業開放,企業可按小時預約光刻、鍍膜和檢測設備,降低研發試製成本。',
      '據介紹,園區納米技術應用產業已連續多年保持兩位數增長,正加快打造千億級納米產業集聚區。',
    ],
  },
  {
    id: 'twmirror-bio',
    portal: 'twmirror',
    path: '/news/2024/0520/b3c4d5e6.html',
    topic: 'biomedicine',
    title: '園區醫療器械企業加快出海 多款產品獲歐盟認證',
    publishedAt: '2024-05-20T15:18:09+08:00',
    byline: '林曉',
    paragraphs: [
      '今年以來,蘇州工業園區醫療器械企業加快開拓海外市場,已有12款產品獲得歐盟CE認證,覆蓋手術機器人、體外診斷和高端影像設備。',
      '園區生物醫藥產業促進中心為企業提供國際註冊輔導和臨床試驗資源對接,幫助企業縮短海外上市周期。',
      '業內人士認為,醫療器械出海正成為園區生物醫藥產業新的增長點。',
    ],
  },
  {
    id: 'twmirror-food',
    portal: 'twmirror',
    path: '/news/2024/0601/c5d6e7f8.html',
    topic: 'off-topic',
    title: '南京夫子廟夜市美食節開幕 百餘種小吃迎客',
    publishedAt: '2024-06-01T20:05:00+08:00',
    byline: '周穎',
    paragraphs: [
      '5月31日晚,南京夫子廟夜市美食節開幕,鴨血粉絲湯、鹽水鴨、梅花糕等百餘種傳統小吃集中亮相,秦淮河畔人頭攢動。',
      '主辦方介紹,美食節將持續到6月中旬,每晚還有秦淮燈彩展示和民樂演出,市民可通過線上平台預約免排隊套餐。',
    ],
  },

  // --- 株洲产业招商网 (blog): RSS 2.0 feed plus a sitemap index with a Google News sitemap ---
  {
    id: 'blog-seed',
    portal: 'blog',
    path: '/post/18457.html',
    topic: 'biomedicine',
    seed: true,
    title: '苏州工业园区:“四敢”园区进位全国高新第四',
    publishedAt: '2024-09-28T00:00:00+08:00',
    edits: [
      [{ kind: 'retitle', title: '苏州工业园区:“四敢”园区跃居全国高新区第四' }],
      [
        {
          kind: 'replace',
          from: '第三代半导体产业创新集群发展成效亦有目共睹。',
          to: '第三代半导体产业创新集群同样交出了亮眼答卷。',
        },
      ],
      [],
    ],
  },
  {
    id: 'blog-semi',
    portal: 'blog',
    path: '/post/18502.html',
    topic: 'semiconductors',
    title: '苏州工业园区集成电路设计企业营收增长两成',
    publishedAt: '2024-10-09T00:00:00+08:00',
    byline: '刘畅',
    paragraphs: [
      '记者从苏州工业园区集成电路产业协会了解到,前三季度园区集成电路设计企业营业收入同比增长21%,车规级芯片和射频芯片出货量增长明显。',
      '园区集成电路设计公共服务平台今年新增电子设计自动化工具共享和流片补贴服务,已为80余家中小设计企业降低流片成本。',
      '协会负责人表示,园区正推动设计、制造、封测企业协同,让更多芯片在本地完成从设计到量产的全过程。',
    ],
  },
  {
    id: 'blog-ai',
    portal: 'blog',
    path: '/post/18533.html',
    topic: 'ai',
    title: '园区人工智能产业园新增算力中心 面向企业开放',
    publishedAt: '2024-10-21T00:00:00+08:00',
    byline: '张敏',
    paragraphs: [
      '苏州人工智能产业园新建的智能算力中心日前投入运营,首期提供约1000P算力,面向园区人工智能企业和科研机构开放预约。',
      '运营方介绍,算力中心支持大模型训练和推理服务,中小企业可申请算力券,按实际使用量抵扣费用。',
      '园区人工智能企业负责人表示,本地算力让模型训练不必再排队等待外地资源,产品迭代速度明显加快。',
    ],
  },
  {
    id: 'blog-food',
    portal: 'blog',
    path: '/post/18560.html',
    topic: 'off-topic',
    title: '炎陵黄桃文化节开幕 果农线上线下齐发力',
    publishedAt: '2024-10-30T00:00:00+08:00',
    byline: '李湘',
    paragraphs: [
      '第十届炎陵黄桃文化节近日在株洲炎陵县开幕,来自各乡镇的果农带来黄桃罐头、黄桃果脯等特色产品,现场还举行了黄桃品鉴和采摘体验活动。',
      '当地电商服务中心组织主播开展直播带货,活动首日线上销售额突破200万元。',
      '今年炎陵黄桃种植面积稳定在8万亩左右,受光照充足影响,果实糖度普遍高于往年,不少果园的订单已排到九月中旬。',
      '县农业部门表示,将继续推广标准化种植和冷链物流,让炎陵黄桃以更新鲜的状态走上全国消费者的餐桌。',
    ],
  },

  // --- 新江南网 (xjnnet): GBK, charset only in <meta>, watermark in every paragraph, 429 then 200 ---
  {
    id: 'xjnnet-seed',
    portal: 'xjnnet',
    path: '/news/jiangsu/2023/1231/218563.html',
    topic: 'biomedicine',
    seed: true,
    title: '江苏为培育新质生产力厚植创新沃土 立足高新区,做强创新型产业集群',
    publishedAt: '2023-12-31T15:58:36+08:00',
    edits: [
      [],
      [
        {
          kind: 'move',
          text: '立足高新区主阵地,我省产业科技创新疾步前行。',
          after: '如何将一个产业“从一棵大树孕育成一片森林”',
        },
      ],
      [{ kind: 'append', text: '更新:文中产业集群数据已根据省科技厅最新发布的统计口径核对。' }],
    ],
  },
  {
    id: 'xjnnet-semi',
    portal: 'xjnnet',
    path: '/news/jiangsu/2024/0115/219104.html',
    topic: 'semiconductors',
    title: '苏州工业园区第三代半导体产业链再添重大项目',
    publishedAt: '2024-01-15T10:26:41+08:00',
    byline: '记者 王晨',
    paragraphs: [
      '1月14日,总投资30亿元的碳化硅衬底及外延项目在苏州工业园区签约落户,项目达产后可年产8英寸碳化硅衬底20万片。',
      '近年来,园区依托国家第三代半导体技术创新中心(苏州),吸引了一批氮化镓、碳化硅材料和器件企业集聚,产业链上下游配套日趋完善。',
      '园区相关负责人表示,将继续围绕集成电路和第三代半导体补链强链,打造具有国际竞争力的产业集群。',
    ],
  },
  {
    id: 'xjnnet-nano',
    portal: 'xjnnet',
    path: '/news/jiangsu/2024/0226/219588.html',
    topic: 'nanotech',
    title: '园区纳米新材料集群入选国家先进制造业集群',
    publishedAt: '2024-02-26T09:12:05+08:00',
    byline: '记者 孙悦',
    paragraphs: [
      '日前,苏州工业园区牵头培育的纳米新材料集群入选国家先进制造业集群名单,成为全国纳米领域首个国家级先进制造业集群。',
      '园区纳米技术应用产业已形成微纳制造、第三代半导体、纳米新材料、纳米大健康四大细分领域,集聚相关企业超过1000家。',
      '下一步,园区将推动纳米新材料在新能源、电子信息等领域规模化应用,加快建设具有全球影响力的纳米产业创新高地。',
    ],
  },
  {
    id: 'xjnnet-food',
    portal: 'xjnnet',
    path: '/news/jiangsu/2024/0309/219901.html',
    topic: 'off-topic',
    title: '无锡太湖美食文化节启幕 太湖三白唱主角',
    publishedAt: '2024-03-09T18:40:12+08:00',
    byline: '记者 吴倩',
    paragraphs: [
      '3月9日,无锡太湖美食文化节在蠡湖之光广场启幕,太湖白鱼、白虾、银鱼“太湖三白”以及无锡小笼、酱排骨等地方风味悉数登场。',
      '文化节为期一周,设有厨艺比拼、非遗美食制作展示和亲子烘焙课堂,市民游客可凭线上预约码入场。',
    ],
  },

  // --- 微信公众号文章 mirror (wechat): Atom feed, a page rendered only by JavaScript ---
  {
    id: 'wechat-seed',
    portal: 'wechat',
    path: '/thread-8837416.htm',
    topic: 'ai',
    seed: true,
    title: '江苏苏州工业园区:创新不止 人工智能产业蓄势待发',
    publishedAt: '2023-02-22T00:00:00+08:00',
  },
  {
    id: 'wechat-ai',
    portal: 'wechat',
    path: '/thread-8839025.htm',
    topic: 'ai',
    title: '园区人工智能创新应用大赛启动 首批开放场景36个',
    publishedAt: '2023-03-06T00:00:00+08:00',
    byline: '作者 董捷',
    paragraphs: [
      '3月5日,苏州工业园区人工智能创新应用大赛正式启动,首批开放智能制造、智慧医疗、智慧交通等领域应用场景36个,面向全国人工智能企业征集解决方案。',
      '大赛设立总额1000万元的奖励资金,优胜项目可优先获得园区人工智能产业园载体支持和场景方订单。',
      '园区人工智能试验区相关负责人表示,希望以场景开放带动技术落地,让更多人工智能成果在园区转化为生产力。',
    ],
    edits: [
      [{ kind: 'replace', from: '应用场景36个', to: '应用场景38个' }],
      [],
      [{ kind: 'retitle', title: '园区人工智能创新应用大赛启动 首批开放场景38个' }],
    ],
  },
  {
    id: 'wechat-nano',
    portal: 'wechat',
    path: '/thread-8841207.htm',
    jsRendered: true,
    topic: 'nanotech',
    title: '纳米城里的“隐形冠军”:园区微纳制造企业跑出加速度',
    publishedAt: '2023-03-15T00:00:00+08:00',
    byline: '作者 吕依',
    paragraphs: [
      '在苏州纳米城,一家专注微纳光学器件的企业去年营收增长超过四成,其纳米压印光栅产品已进入多家头部消费电子企业供应链。',
      '像这样的“隐形冠军”,园区纳米技术应用产业中还有不少。依托纳米城的公共技术平台,企业可以共享洁净室和检测设备,把更多资金投入研发。',
      '园区将持续完善纳米新材料产业生态,推动更多企业从实验室样品走向规模量产。',
    ],
  },
  {
    id: 'wechat-bio',
    portal: 'wechat',
    path: '/thread-8842630.htm',
    topic: 'biomedicine',
    title: '园区细胞与基因治疗平台开放共享 已服务企业60余家',
    publishedAt: '2023-03-28T00:00:00+08:00',
    byline: '作者 王琳',
    paragraphs: [
      '由国家生物药技术创新中心参与建设的细胞与基因治疗研发与转化平台在苏州工业园区开放共享,已为60余家生物医药企业提供工艺开发和质量检测服务。',
      '平台负责人介绍,细胞治疗和基因治疗产品工艺复杂,中小企业自建产线成本高,共享平台可帮助企业把临床样品制备时间缩短三分之一。',
      '园区正加快布局核酸药物、细胞治疗等前沿赛道,推动生物医药产业向创新链高端攀升。',
    ],
  },
  {
    id: 'wechat-food',
    portal: 'wechat',
    path: '/thread-8843318.htm',
    topic: 'off-topic',
    title: '春日踏青好去处:太湖西山梅花盛开',
    publishedAt: '2023-03-10T00:00:00+08:00',
    byline: '作者 小编',
    paragraphs: [
      '三月的太湖西山,漫山梅花竞相开放,白梅、红梅、绿萼梅层层叠叠,吸引不少市民周末前来赏花拍照。',
      '景区提醒,赏梅高峰期自驾车辆较多,建议乘坐旅游专线前往,并提前在线预约停车位。',
      '除了赏梅,西山的农家乐也迎来了客流高峰,碧螺春新茶、太湖白虾和青团成了游客餐桌上的“春日限定”。',
      '据悉,今年梅花花期预计持续到三月下旬,景区还推出了夜间灯光游和古村落徒步线路,方便市民错峰出游。',
    ],
  },
]
