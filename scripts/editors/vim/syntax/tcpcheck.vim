" Vim syntax file
" Language:	tcpcheck scripts (packetdrill's .pkt language and tcpcheck's
"		extensions): tcpcheck-script(5)
" Maintainer:	the tcpcheck project
" License:	BSD-2-Clause
"
" The scanner, grammar/lexer.l, is the authority on tokens; the items below
" follow its states: an event is a time and then a packet, a call, a
" `command` or a %{ python }% block, and only a call's own '=' (outside its
" parentheses, brackets and braces) starts a result.
"
" g:tcpcheck_no_embedded = 1 turns off sh and python inside `...` and %{ }%.

if exists('b:current_syntax')
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" --- embedded languages, first: their files reset what we would set -------
let s:embed = !get(g:, 'tcpcheck_no_embedded', 0)
let s:sh = 0
let s:python = 0
if s:embed && !empty(globpath(&runtimepath, 'syntax/sh.vim'))
  unlet! b:current_syntax
  syn include @tcpcheckSh syntax/sh.vim
  let s:sh = 1
endif
if s:embed && !empty(globpath(&runtimepath, 'syntax/python.vim'))
  unlet! b:current_syntax
  syn include @tcpcheckPython syntax/python.vim
  let s:python = 1
endif
unlet! b:current_syntax

" sh.vim adds '-' to the keyword characters; ours are C's.
syn iskeyword @,48-57,_,192-255
syn case match
" Scripts are short and comments and calls span lines: parse from the top.
syn sync clear
syn sync fromstart

" --- comments --------------------------------------------------------------
syn keyword tcpcheckTodo	contained TODO FIXME XXX
syn match   tcpcheckComment	"//.*$" contains=tcpcheckTodo,@Spell
syn region  tcpcheckComment	start="/\*" end="\*/" contains=tcpcheckTodo,@Spell

" --- numbers and strings: first, so that longer items defined later win ----
syn match   tcpcheckNumber	contained "-\=\<\%(0[xX]\x\+\|\d\+\)\>"
syn match   tcpcheckNumber	contained "\%(\<\d\+\)\=\.\d\+\>"
syn region  tcpcheckString	contained start=+"+ skip=+\\\\\|\\"+ end=+"+ oneline
      \ contains=tcpcheckBadEscape,tcpcheckEscape
" The scanner's escapes: \n \t \r \\ \" \' \xHH \OOO; any other is an error.
syn match   tcpcheckBadEscape	contained "\\."
syn match   tcpcheckEscape	contained +\\\%([ntr\\"']\|x\x\{1,2}\|\o\{1,3}\)+

" --- option lines: --name=value, --name ------------------------------------
syn match   tcpcheckOptionName	"^\s*\zs--\h\w*\%(-\w\+\)*"
      \ nextgroup=tcpcheckOptionEq
syn match   tcpcheckOptionEq	contained "=" nextgroup=tcpcheckOptionValue,tcpcheckString
syn match   tcpcheckOptionValue	contained +[^ \t"]\++

" --- time: 0, 0.1, +.1, *, 1.0~1.2, +.1...0.25 -----------------------------
syn match   tcpcheckTime
      \ "^\s*\zs\%(\*\|+\=\%(\d*\.\)\=\d\+\)\%(\s*\%([~]\|\.\.\.\)\s*+\=\%(\d*\.\)\=\d\+\)\="
      \ nextgroup=tcpcheckPacket,tcpcheckStateAssert,tcpcheckInclude,tcpcheckCall,tcpcheckCommand,tcpcheckCode
      \ skipwhite

" --- packets: < S 0:0(0) win 65535 <mss 1460> ------------------------------
syn region  tcpcheckPacket	contained matchgroup=tcpcheckDirection
      \ start="[<>]" end="$" keepend contains=@tcpcheckPacketItem
syn cluster tcpcheckPacketItem	contains=tcpcheckFlags,tcpcheckSeq,
      \tcpcheckPacketKeyword,tcpcheckIpField,tcpcheckOptions,
      \tcpcheckNumber,tcpcheckComment,tcpcheckPacketGroup
" [ect0], (tos 0x10), udp (100), an ICMP's quoted [1:1461(1460)]
syn region  tcpcheckPacketGroup	contained transparent matchgroup=tcpcheckParen start="[[(]" end="[])]"
      \ contains=@tcpcheckPacketItem
" S. .5 S.5 FP. - : after the direction, the IP parts or the ports
syn match   tcpcheckFlags	contained
      \ "\%([][()<> \t]\)\@1<=\%([SFRPUEWA]\+\.\=\d\=\|\.\d\=\|-\)\ze\%(\s\|$\)"
syn match   tcpcheckSeq		contained "\<\d\+\s*:\s*\d\+\s*(\s*\d\+\s*)"
syn keyword tcpcheckPacketKeyword contained ack win urg udp mtu
syn keyword tcpcheckPacketKeyword contained icmp nextgroup=tcpcheckIcmp skipwhite
" icmp TYPE [CODE]: names, but mtu is the keyword after them
syn match   tcpcheckIcmp	contained "\%(mtu\>\)\@!\<\h\w*" nextgroup=tcpcheckIcmp skipwhite
syn keyword tcpcheckIpField	contained noecn ect0 ect1 ect01 ce tos flowlabel ttl

" TCP options; an outbound <...> leaves them unchecked
syn region  tcpcheckOptions	contained matchgroup=tcpcheckOptionsDelim
      \ start="<" end=">" oneline
      \ contains=tcpcheckOptKeyword,tcpcheckCookieKeyword,tcpcheckNumber,tcpcheckEllipsis,tcpcheckComment
syn keyword tcpcheckOptKeyword	contained nop eol mss wscale sackOK sack TS val ecr ECN e0b ceb e1b
" A cookie or digest is hex that may start with a digit.
syn keyword tcpcheckCookieKeyword contained md5 FO FOEXP nextgroup=tcpcheckCookie skipwhite
syn match   tcpcheckCookie	contained "\w\+"

" --- calls: name(args) = result [ERRNO [(note)]] --------------------------
syn match   tcpcheckCall	contained "\<\h\w*\ze\s*(" nextgroup=tcpcheckArgs skipwhite
syn keyword tcpcheckStateAssert	contained tcp_state tcp_states nextgroup=tcpcheckArgs skipwhite
" +0 include("file.pkt", NAME=value, ...)
syn keyword tcpcheckInclude	contained include nextgroup=tcpcheckArgs skipwhite
syn region  tcpcheckArgs	contained matchgroup=tcpcheckParen start="(" end=")" contains=@tcpcheckExpr
      \ nextgroup=tcpcheckResult skipwhite skipnl
syn region  tcpcheckResult	contained matchgroup=tcpcheckOperator start="="
      \ end="$" keepend contains=tcpcheckNumber,tcpcheckEllipsis,tcpcheckConstant,
      \tcpcheckErrno,tcpcheckState,tcpcheckNote,tcpcheckComment
" The text in parentheses after the result is a comment.
syn region  tcpcheckNote	contained matchgroup=tcpcheckNote start="(" end=")" oneline
      \ contains=tcpcheckNoteParen
syn region  tcpcheckNoteParen	contained transparent matchgroup=tcpcheckNote start="(" end=")" oneline
      \ contains=tcpcheckNoteParen

syn cluster tcpcheckExpr	contains=tcpcheckNumber,tcpcheckString,
      \tcpcheckEllipsis,tcpcheckConstant,tcpcheckErrno,tcpcheckOperator,
      \tcpcheckField,tcpcheckFunction,tcpcheckComment,tcpcheckNest
syn region  tcpcheckNest	contained transparent matchgroup=tcpcheckParen start="(" end=")" contains=@tcpcheckExpr
syn region  tcpcheckNest	contained transparent matchgroup=tcpcheckParen start="\[" end="]" contains=@tcpcheckExpr
syn region  tcpcheckNest	contained transparent matchgroup=tcpcheckParen start="{" end="}" contains=@tcpcheckExpr
syn match   tcpcheckOperator	contained "[|=]"
" {fd=4, events=POLLIN}: a field name
syn match   tcpcheckField	contained "\<\h\w*\ze\s*="
" inet_addr("..."), htons(N), msg_iov(1)=[...]
syn match   tcpcheckFunction	contained "\<\h\w*\ze\s*("
syn match   tcpcheckEllipsis	contained "\.\.\."

" SO_*, SOL_*, IPPROTO_*, MSG_*, O_*, F_*, TCP_*, ...: names with an '_';
" POLL*, EPOLL*, SIOC*, FION* without one.
syn match   tcpcheckConstant	contained "\<\u[A-Z0-9]*_[A-Z0-9_]*\>"
syn match   tcpcheckConstant	contained "\<\%(E\=POLL\|SIOC\|FION\)\u\+\>"

" The 11 states in every spelling the tool accepts (src/sockstate.c):
" RFC SYN-SENT, kernel SYN_RECV, FIN_WAIT1, TCP_ or TCPS_ prefixed, any case.
syn match   tcpcheckState	contained "\c\<\%(tcps\=_\)\=\%(closed\|close\|listen\|syn[-_]sent\|syn[-_]recv\|syn[-_]received\|syn[-_]rcvd\|new[-_]syn[-_]recv\|established\|estab\|fin[-_]wait[-_]\=[12]\|close[-_]wait\|closing\|last[-_]ack\|time[-_]wait\)\>\%(-\)\@!"

" Every errno name (src/syscalls/symbols.c).
syn keyword tcpcheckErrno	contained EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG
      \ ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST
      \ EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG
      \ ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG
      \ ENOLCK ENOSYS ENOTEMPTY ELOOP ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT
      \ EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC
      \ EBADSLT EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE
      \ ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW
      \ ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC
      \ EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE
      \ EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP
      \ EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN
      \ ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN
      \ ESHUTDOWN ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH
      \ EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO
      \ EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED
      \ EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON EWOULDBLOCK
      \ EDEADLOCK ENOTSUP

" --- `shell command` and %{ python }% ---------------------------------------
if s:sh
  syn region tcpcheckCommand	matchgroup=tcpcheckCommandDelim start="`" end="`"
        \ keepend contains=@tcpcheckSh
else
  syn region tcpcheckCommand	matchgroup=tcpcheckCommandDelim start="`" end="`"
  hi def link tcpcheckCommand	String
endif
if s:python
  syn region tcpcheckCode	matchgroup=tcpcheckCodeDelim start="%{" end="}%"
        \ keepend contains=@tcpcheckPython
else
  syn region tcpcheckCode	matchgroup=tcpcheckCodeDelim start="%{" end="}%"
  hi def link tcpcheckCode	String
endif

hi def link tcpcheckTodo		Todo
hi def link tcpcheckComment		Comment
hi def link tcpcheckOptionName		PreProc
hi def link tcpcheckOptionEq		Operator
hi def link tcpcheckOptionValue		Constant
hi def link tcpcheckTime		Label
hi def link tcpcheckDirection		Operator
hi def link tcpcheckFlags		Type
hi def link tcpcheckSeq			Number
hi def link tcpcheckPacketKeyword	Keyword
hi def link tcpcheckIcmp		Identifier
hi def link tcpcheckIpField		StorageClass
hi def link tcpcheckOptionsDelim	Delimiter
hi def link tcpcheckOptKeyword		Identifier
hi def link tcpcheckCookieKeyword	Identifier
hi def link tcpcheckCookie		Number
hi def link tcpcheckCall		Function
hi def link tcpcheckStateAssert		Statement
hi def link tcpcheckInclude		Include
hi def link tcpcheckNote		Comment
hi def link tcpcheckOperator		Operator
hi def link tcpcheckField		Identifier
hi def link tcpcheckFunction		Function
hi def link tcpcheckEllipsis		Special
hi def link tcpcheckConstant		Constant
hi def link tcpcheckState		Constant
hi def link tcpcheckErrno		Special
hi def link tcpcheckNumber		Number
hi def link tcpcheckString		String
hi def link tcpcheckEscape		SpecialChar
hi def link tcpcheckBadEscape		Error
hi def link tcpcheckCommandDelim	Delimiter
hi def link tcpcheckCodeDelim		PreProc

let b:current_syntax = 'tcpcheck'

let &cpo = s:cpo_save
unlet s:cpo_save s:embed s:sh s:python
