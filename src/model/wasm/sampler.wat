;; The stylized sampler's kept uniform coordinates and exact tail level sums in WebAssembly
;; (THEORY.md section 2).
;;
;; Exactly the arithmetic of fillUniform in src/model/sample.ts and of drawUint32Sum in
;; src/util/binomialTable.ts, so the stream is bit-identical
;; (test/simulateSample.test.ts compares the two): xoshiro128** on four i32 words, one 32-bit
;; draw k per coordinate, x = a ((k + 1/2) 2^-31 - 1), the level sum accumulated in order from
;; 0, y's partial sum yi = yi + coef_l * sum_l over the levels in order. V8 runs the JavaScript
;; loop at about 4 ns per coordinate inside the sampler, this one at about 2 ns: both loops are
;; unrolled by two (two coordinates, two bit planes per iteration; the same operations in the
;; same order, so the same bits), which cut the sampling of a Figure-6 repetition by about a
;; quarter (V8 does not unroll WebAssembly loops itself). The binary next to this file, sampler.wasm, is assembled from it by
;; `npm run build:wasm`; a test checks the two agree byte for byte.
;;
;; Memory: imported (src/model/sample.ts lays it out). Addresses are byte offsets.
(module
  (memory (import "env" "memory") 1)

  ;; fillRow(st, levels, table, out, stride) -> yi
  ;;   st: 4 x i32 xoshiro128** state (read and written back);
  ;;   table: per level 24 bytes: i32 count at +0, f64 half-width a at +8, f64 coefficient at +16;
  ;;   out: byte address of the row's first coordinate, stride: bytes between coordinates.
  ;; Returns sum_l coef_l * (sum of the level's coordinates).
  (func (export "fillRow") (param $st i32) (param $levels i32) (param $table i32) (param $out i32) (param $stride i32) (result f64)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $m5 i32) (local $k i32) (local $t i32)
    (local $l i32) (local $j i32) (local $cnt i32) (local $o i32) (local $p i32)
    (local $a f64) (local $sum f64) (local $yi f64) (local $x f64)
    (local.set $a0 (i32.load (local.get $st)))
    (local.set $a1 (i32.load offset=4 (local.get $st)))
    (local.set $a2 (i32.load offset=8 (local.get $st)))
    (local.set $a3 (i32.load offset=12 (local.get $st)))
    (local.set $o (local.get $out))
    (local.set $p (local.get $table))
    (local.set $yi (f64.const 0))
    (local.set $l (i32.const 0))
    (block $lDone (loop $lLoop
      (br_if $lDone (i32.ge_u (local.get $l) (local.get $levels)))
      (local.set $cnt (i32.load (local.get $p)))
      (local.set $a (f64.load offset=8 (local.get $p)))
      (local.set $sum (f64.const 0))
      (local.set $j (i32.const 0))
      ;; Two coordinates per iteration while two remain (the same operations in the same order).
      (block $pDone (loop $pLoop
        (br_if $pDone (i32.ge_u (i32.add (local.get $j) (i32.const 1)) (local.get $cnt)))
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $k (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $x (f64.mul (local.get $a)
          (f64.sub (f64.mul (f64.add (f64.convert_i32_u (local.get $k)) (f64.const 0.5)) (f64.const 0x1p-31)) (f64.const 1))))
        (f64.store (local.get $o) (local.get $x))
        (local.set $sum (f64.add (local.get $sum) (local.get $x)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $k (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $x (f64.mul (local.get $a)
          (f64.sub (f64.mul (f64.add (f64.convert_i32_u (local.get $k)) (f64.const 0.5)) (f64.const 0x1p-31)) (f64.const 1))))
        (f64.store (local.get $o) (local.get $x))
        (local.set $sum (f64.add (local.get $sum) (local.get $x)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $j (i32.add (local.get $j) (i32.const 2)))
        (br $pLoop)))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $cnt)))
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $k (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $x (f64.mul (local.get $a)
          (f64.sub (f64.mul (f64.add (f64.convert_i32_u (local.get $k)) (f64.const 0.5)) (f64.const 0x1p-31)) (f64.const 1))))
        (f64.store (local.get $o) (local.get $x))
        (local.set $sum (f64.add (local.get $sum) (local.get $x)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop)))
      (local.set $yi (f64.add (local.get $yi) (f64.mul (f64.load offset=16 (local.get $p)) (local.get $sum))))
      (local.set $p (i32.add (local.get $p) (i32.const 24)))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $lLoop)))
    (i32.store (local.get $st) (local.get $a0))
    (i32.store offset=4 (local.get $st) (local.get $a1))
    (i32.store offset=8 (local.get $st) (local.get $a2))
    (i32.store offset=12 (local.get $st) (local.get $a3))
    (local.get $yi))
;; tailSum(st, desc) -> S
  ;;   S = sum_{b<32} 2^b B_b, B_b ~ Binomial(n, 1/2) from the alias table described at desc:
  ;;   i32 k (log2 cells) at +0, i32 lo at +4, addresses of thrHi (i32 per cell) at +8, thrLo
  ;;   (f64 per cell) at +12, alias (i32 per cell) at +16. The draw of drawUint32Sum: one 32-bit
  ;;   w per bit plane, its top k bits the cell, the rest compared with thrHi; a second draw
  ;;   only on a tie. Every operation is exact (integers below 2^53), as in JavaScript.
  (func (export "tailSum") (param $st i32) (param $desc i32) (result f64)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $m5 i32) (local $t i32)
    (local $w i32) (local $v i32) (local $cell i32) (local $u i32) (local $th i32) (local $other i32) (local $sel i32)
    (local $shift i32) (local $mask i32) (local $lo i32) (local $thrHi i32) (local $thrLo i32) (local $alias i32) (local $b i32)
    (local $sum f64) (local $sum2 f64) (local $weight f64)
    (local.set $a0 (i32.load (local.get $st)))
    (local.set $a1 (i32.load offset=4 (local.get $st)))
    (local.set $a2 (i32.load offset=8 (local.get $st)))
    (local.set $a3 (i32.load offset=12 (local.get $st)))
    (local.set $shift (i32.sub (i32.const 32) (i32.load (local.get $desc))))
    (local.set $mask (i32.sub (i32.shl (i32.const 1) (local.get $shift)) (i32.const 1)))
    (local.set $lo (i32.load offset=4 (local.get $desc)))
    (local.set $thrHi (i32.load offset=8 (local.get $desc)))
    (local.set $thrLo (i32.load offset=12 (local.get $desc)))
    (local.set $alias (i32.load offset=16 (local.get $desc)))
    (local.set $sum (f64.const 0))
    (local.set $sum2 (f64.const 0))
    (local.set $weight (f64.const 1))
    (local.set $b (i32.const 0))
    (block $done (loop $planes
      (br_if $done (i32.ge_u (local.get $b) (i32.const 32)))
      (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
      (local.set $w (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
      (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
      (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
      (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
      (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
      (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
      (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
      (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
      (local.set $cell (i32.shr_u (local.get $w) (local.get $shift)))
      (local.set $u (i32.and (local.get $w) (local.get $mask)))
      (local.set $th (i32.load (i32.add (local.get $thrHi) (i32.shl (local.get $cell) (i32.const 2)))))
      (local.set $other (i32.load (i32.add (local.get $alias) (i32.shl (local.get $cell) (i32.const 2)))))
      ;; u, th < 2^31: (u - th) >> 31 is -1 when u < th (accept the cell's own outcome), else 0.
      (local.set $sel (i32.shr_s (i32.sub (local.get $u) (local.get $th)) (i32.const 31)))
      (if (i32.eq (local.get $u) (local.get $th)) (then
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $v (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $sel (select (i32.const -1) (i32.const 0)
          (f64.lt (f64.convert_i32_u (local.get $v)) (f64.load (i32.add (local.get $thrLo) (i32.shl (local.get $cell) (i32.const 3)))))))))
      (local.set $sum (f64.add (local.get $sum) (f64.mul (local.get $weight)
        (f64.convert_i32_s (i32.add (local.get $other) (i32.and (i32.sub (i32.add (local.get $lo) (local.get $cell)) (local.get $other)) (local.get $sel)))))))
      (local.set $weight (f64.mul (local.get $weight) (f64.const 2)))
      (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
      (local.set $w (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
      (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
      (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
      (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
      (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
      (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
      (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
      (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
      (local.set $cell (i32.shr_u (local.get $w) (local.get $shift)))
      (local.set $u (i32.and (local.get $w) (local.get $mask)))
      (local.set $th (i32.load (i32.add (local.get $thrHi) (i32.shl (local.get $cell) (i32.const 2)))))
      (local.set $other (i32.load (i32.add (local.get $alias) (i32.shl (local.get $cell) (i32.const 2)))))
      ;; u, th < 2^31: (u - th) >> 31 is -1 when u < th (accept the cell's own outcome), else 0.
      (local.set $sel (i32.shr_s (i32.sub (local.get $u) (local.get $th)) (i32.const 31)))
      (if (i32.eq (local.get $u) (local.get $th)) (then
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $v (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $sel (select (i32.const -1) (i32.const 0)
          (f64.lt (f64.convert_i32_u (local.get $v)) (f64.load (i32.add (local.get $thrLo) (i32.shl (local.get $cell) (i32.const 3)))))))))
      (local.set $sum2 (f64.add (local.get $sum2) (f64.mul (local.get $weight)
        (f64.convert_i32_s (i32.add (local.get $other) (i32.and (i32.sub (i32.add (local.get $lo) (local.get $cell)) (local.get $other)) (local.get $sel)))))))
      (local.set $weight (f64.mul (local.get $weight) (f64.const 2)))
      (local.set $b (i32.add (local.get $b) (i32.const 2)))
      (br $planes)))
    (i32.store (local.get $st) (local.get $a0))
    (i32.store offset=4 (local.get $st) (local.get $a1))
    (i32.store offset=8 (local.get $st) (local.get $a2))
    (i32.store offset=12 (local.get $st) (local.get $a3))
    ;; Two bit planes per iteration, even planes into sum, odd into sum2: every partial sum is an
    ;; integer below 2^53, so exact, and the total equals the one-accumulator sum bit for bit.
    (f64.add (local.get $sum) (local.get $sum2)))
)
