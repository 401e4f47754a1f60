// DHCPv4 wire constants. Numbers are facts from the RFCs cited per entry; names are ours.

/** BOOTP `op` field (RFC 951 §3, RFC 2131 §2). */
export const BootpOp = {
  request: 1,
  reply: 2,
} as const;

/** `htype` Ethernet (RFC 1700 "ARP hardware types"), the only one that carries a MAC we can key on. */
export const HTYPE_ETHERNET = 1;

/** DHCP magic cookie 99.130.83.99 at offset 236 (RFC 2131 §3, RFC 2132 §2). */
export const MAGIC_COOKIE = 0x63825363;

/** Fixed BOOTP header layout (RFC 2131 §2, figure 1). */
export const Header = {
  op: 0,
  htype: 1,
  hlen: 2,
  hops: 3,
  xid: 4,
  secs: 8,
  flags: 10,
  ciaddr: 12,
  yiaddr: 16,
  siaddr: 20,
  giaddr: 24,
  chaddr: 28,
  sname: 44,
  file: 108,
  cookie: 236,
  options: 240,
  chaddrLength: 16,
  snameLength: 64,
  fileLength: 128,
} as const;

/** Broadcast bit of `flags` (RFC 2131 §2, figure 2). */
export const FLAG_BROADCAST = 0x8000;

/** BOOTP minimum message length: the 64-byte vendor area of RFC 951 gives 300 bytes (RFC 1542 §3.2.1). */
export const MIN_BOOTP_LENGTH = 300;

/** Largest reply an EDK2 HTTP-boot client takes (1500 MTU − 20 IP − 8 UDP). */
export const MAX_REPLY_LENGTH = 1472;

/** DHCP option codes used here. */
export const Opt = {
  pad: 0, // RFC 2132 §3.1
  requestedIp: 50, // RFC 2132 §9.1
  overload: 52, // RFC 2132 §9.3
  messageType: 53, // RFC 2132 §9.6
  serverId: 54, // RFC 2132 §9.7
  parameterList: 55, // RFC 2132 §9.8
  maxMessageSize: 57, // RFC 2132 §9.10
  vendorClass: 60, // RFC 2132 §9.13
  clientId: 61, // RFC 2132 §9.14
  tftpServer: 66, // RFC 2132 §9.4
  bootFile: 67, // RFC 2132 §9.5
  vendorSpecific: 43, // RFC 2132 §8.4; PXE 2.1 §2.4 encapsulates its sub-options here
  userClass: 77, // RFC 3004 §4
  relayAgent: 82, // RFC 3046 §2
  clientArch: 93, // RFC 4578 §2.1
  clientNdi: 94, // RFC 4578 §2.2
  clientMachineId: 97, // RFC 4578 §2.3
  ipxe: 175, // iPXE encapsulated options (IANA "tentatively assigned", iPXE documentation)
  end: 255, // RFC 2132 §3.2
} as const;

/** Option 52 values (RFC 2132 §9.3). */
export const Overload = {
  file: 1,
  sname: 2,
  both: 3,
} as const;

/** Option 53 values (RFC 2132 §9.6). */
export const MessageType = {
  discover: 1,
  offer: 2,
  request: 3,
  decline: 4,
  ack: 5,
  nak: 6,
  release: 7,
  inform: 8,
} as const;

/** PXE vendor sub-options inside option 43 (PXE 2.1 §2.4.1, table 2-1). */
export const PxeSub = {
  discoveryControl: 6,
  bootServers: 8,
  bootMenu: 9,
  menuPrompt: 10,
  bootItem: 71,
} as const;

/** Bits of PXE sub-option 6 (PXE 2.1 §2.4.1). */
export const DiscoveryControl = {
  noBroadcast: 1,
  noMulticast: 2,
  onlyListedServers: 4,
  /** "If a boot file name is in this packet, download it and skip boot-server discovery." */
  useBootFile: 8,
} as const;

/** Option 93 processor architecture types (RFC 4578 §2.1 with its 2016 erratum, IANA registry, RFC 5970 §3). */
export const ClientArch = {
  x86Bios: 0,
  efiIa32: 6,
  efiX64: 7,
  efiBc: 9, // many old firmwares send 9 for x64 (the pre-erratum RFC 4578 text): treated as x64
  efiArm32: 10,
  efiArm64: 11,
  efiX86Http: 15,
  efiX64Http: 16,
  efiBcHttp: 17,
  efiArm32Http: 18,
  efiArm64Http: 19,
  ubootArm32: 21,
  ubootArm64: 22,
  ubootArm32Http: 23,
  ubootArm64Http: 24,
} as const;

/** Vendor-class (option 60) prefixes of netboot clients (PXE 2.1 §2.2, UEFI 2.x §24.7 "HTTP Boot"). */
export const VendorClassPrefix = {
  pxe: 'PXEClient',
  http: 'HTTPClient',
} as const;

/** Option 77 text iPXE sends (raw, not RFC 3004 length-prefixed). */
export const IPXE_USER_CLASS = 'iPXE';
