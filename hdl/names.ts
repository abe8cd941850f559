// Names a design may not use: Verilog-2005 keywords, SystemVerilog keywords (so the output also
// reads in SV tools such as Verilator) and the implicit clock and reset.
const VERILOG_KEYWORDS = new Set(
  `always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam design
disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable endtask event
for force forever fork function generate genvar highz0 highz1 if ifnone incdir include initial inout input instance integer
join large liblist library localparam macromodule medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or
output parameter pmos posedge primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real
realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire
vectored wait wand weak0 weak1 while wire wor xnor xor
alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte chandle class clocking const
constraint context continue cover covergroup coverpoint cross dist do endclass endclocking endgroup endinterface endpackage
endprogram endproperty endsequence enum expect export extends extern final first_match foreach forkjoin iff ignore_bins
illegal_bins import inside int interface intersect join_any join_none local logic longint matches modport new null package
packed priority program property protected pure rand randc randcase randsequence ref return sequence shortint shortreal
solve static string struct super tagged this throughout timeprecision timeunit type typedef union unique var virtual void
wait_order wildcard with within`.split(/\s+/),
);

const IMPLICIT = new Set(['clk', 'rst']);

export function isReservedName(name: string): boolean {
  return VERILOG_KEYWORDS.has(name) || IMPLICIT.has(name) || name.startsWith('_t');
}

export function reservedWhy(name: string): string {
  if (IMPLICIT.has(name)) return `'${name}', the implicit ${name === 'clk' ? 'clock' : 'reset'} of every module`;
  if (name.startsWith('_t')) return 'a name starting with _t, which the Verilog emitter uses for temporaries';
  return 'a Verilog or SystemVerilog keyword';
}
