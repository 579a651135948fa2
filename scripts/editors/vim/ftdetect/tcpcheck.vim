" Vim filetype detection: tcpcheck scripts (tcpcheck-script(5)).
" Other tools write *.pkt too (packet captures, Packet Tracer files), so a
" .pkt file is a script only when one of its first 100 lines is an option
" line (--name, --name=value) or an event (a time, then a packet, a call, a
" `command` or a %{ block); a new, empty .pkt file is taken for a script.

function! s:TcpcheckDetect() abort
  if line('$') == 1 && getline(1) ==# ''
    setfiletype tcpcheck
    return
  endif
  let l:num = '+\=\%(\d*\.\)\=\d\+'
  let l:time = '\%(\*\|' . l:num . '\)\%(\s*\%([~]\|\.\.\.\)\s*' . l:num . '\)\='
  let l:event = '^\s*' . l:time . '\s\+\%([<>]\|\h\w*\s*(\|`\|%{\)'
  let l:option = '^\s*--\h\w*\%(-\w\+\)*\%(=\|\s*$\)'
  for l:line in getline(1, 100)
    if l:line =~# l:event || l:line =~# l:option
      setfiletype tcpcheck
      return
    endif
  endfor
endfunction

autocmd BufNewFile,BufRead *.pkt call s:TcpcheckDetect()
