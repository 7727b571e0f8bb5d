# The Lunaix-like kernel's demo: each line is typed into /bin/sh on the serial console.
help
ls /bin
fsdemo
forkcow
forkloop 40
forks
forkloop -c 40
forks
prodcons
memdemo
sigdemo
echo the quick brown fox jumps over the lazy dog | upper | wc
echo saved by the shell > /tmp/note
cat /tmp/note
ps
free
buddyinfo
sched
handles 1
vmrs 1
pte 1 0x400000
pte 3 0x1000000000
# job control: ^Z stops the foreground job; bg continues it in the background, where its read of
# the terminal stops it again (SIGTTIN); fg gives it the terminal back; ^C interrupts a job
wc
one two three
^Z
jobs
bg
fg
four five
^D
cat
^C
# bad input: the system keeps running
nosuchprogram
pte 1 banana
vmrs 999
cat /no/such/file
kill 999
crash
exit
