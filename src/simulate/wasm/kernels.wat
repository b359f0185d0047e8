;; WebAssembly SIMD kernels of the Monte Carlo engine (THEORY.md section 5).
;;
;; Hand-written because the engine's cost is dominated by the Gram accumulation, and V8
;; compiles plain JavaScript loops to scalar code: with f64x2 vectors the same loop runs about
;; 4x faster on this machine (bench/simulate.bench.ts reports both rates). The binary next to
;; this file, kernels.wasm, is assembled from it by `npm run build:wasm`; test/simdKernels.test.ts
;; checks the two agree byte for byte and the kernel against the JavaScript one.
;;
;; Memory: imported, so the caller owns it and lays out its arrays in it (src/simulate/simdKernels.ts).
;; Addresses are byte offsets, leading dimensions are in f64 elements.
(module
  (memory (import "env" "memory") 1)

  ;; syrkUpper(g, ldg, xt, ldx, dimPadded, rows)
  ;;   G[i][j] += sum_{k < rows} xt[i][k] xt[j][k]   for i <= j < dimPadded
  ;; the symmetric rank-k update of src/simulate/kernels.ts, same contract: dimPadded a multiple
  ;; of 4, samples stored feature-major, tiles on the diagonal also write a few strictly-lower
  ;; entries. Register tiles of 2 rows x 4 columns of G; each accumulator holds the partial sums
  ;; over even and odd samples of one entry in its two lanes, added when the tile is stored (then
  ;; the last sample when rows is odd): 8 vector multiplies and adds per 6 vector loads.
  ;; (Handling the odd sample here rather than in the caller also measured faster: V8 allocates
  ;; the loop's registers better in this shape, 18-20 vs 12-14 GFLOP/s.)
  (func (export "syrkUpper") (param $g i32) (param $ldg i32) (param $xt i32) (param $ldx i32) (param $dim i32) (param $rows i32)
    (local $ib i32) (local $jb i32) (local $kb i32) (local $kend i32) (local $ldx8 i32) (local $ldg8 i32)
    (local $pa0 i32) (local $pa1 i32) (local $pb i32) (local $po i32)
    (local $a0 v128) (local $a1 v128) (local $b v128)
    (local $c00 v128) (local $c01 v128) (local $c02 v128) (local $c03 v128) (local $c10 v128) (local $c11 v128) (local $c12 v128) (local $c13 v128)
    (local $t0 f64)
    (local.set $ldx8 (i32.shl (local.get $ldx) (i32.const 3)))
    (local.set $ldg8 (i32.shl (local.get $ldg) (i32.const 3)))
    ;; kend: byte length of the even part of a feature row
    (local.set $kend (i32.shl (i32.and (local.get $rows) (i32.const -2)) (i32.const 3)))
    (local.set $ib (i32.const 0))
    (block $ibDone (loop $ibLoop
      (br_if $ibDone (i32.ge_u (local.get $ib) (local.get $dim)))
      (local.set $pa0 (i32.add (local.get $xt) (i32.mul (local.get $ib) (local.get $ldx8))))
      (local.set $pa1 (i32.add (local.get $pa0) (local.get $ldx8)))
      (local.set $jb (i32.and (local.get $ib) (i32.const -4)))
      (block $jbDone (loop $jbLoop
        (br_if $jbDone (i32.ge_u (local.get $jb) (local.get $dim)))
        (local.set $c00 (v128.const f64x2 0 0))
        (local.set $c01 (v128.const f64x2 0 0))
        (local.set $c02 (v128.const f64x2 0 0))
        (local.set $c03 (v128.const f64x2 0 0))
        (local.set $c10 (v128.const f64x2 0 0))
        (local.set $c11 (v128.const f64x2 0 0))
        (local.set $c12 (v128.const f64x2 0 0))
        (local.set $c13 (v128.const f64x2 0 0))
        (local.set $pb (i32.add (local.get $xt) (i32.mul (local.get $jb) (local.get $ldx8))))
        (local.set $kb (i32.const 0))
        (block $kDone (loop $kLoop
          (br_if $kDone (i32.ge_u (local.get $kb) (local.get $kend)))
          (local.set $a0 (v128.load (i32.add (local.get $pa0) (local.get $kb))))
          (local.set $a1 (v128.load (i32.add (local.get $pa1) (local.get $kb))))
          (local.set $b (v128.load (i32.add (local.get $pb) (local.get $kb))))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 1))) (local.get $kb))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 2))) (local.get $kb))))
          (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $b (v128.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 3))) (local.get $kb))))
          (local.set $c03 (f64x2.add (local.get $c03) (f64x2.mul (local.get $a0) (local.get $b))))
          (local.set $c13 (f64x2.add (local.get $c13) (f64x2.mul (local.get $a1) (local.get $b))))
          (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
          (br $kLoop)))
        (local.set $po (i32.add (local.get $g) (i32.add (i32.mul (local.get $ib) (local.get $ldg8)) (i32.shl (local.get $jb) (i32.const 3)))))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c00)) (f64x2.extract_lane 1 (local.get $c00))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa0) (local.get $kend)))
            (f64.load (i32.add (local.get $pb) (local.get $kend))))))))
        (f64.store offset=0 (local.get $po) (f64.add (f64.load offset=0 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c01)) (f64x2.extract_lane 1 (local.get $c01))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa0) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 1))) (local.get $kend))))))))
        (f64.store offset=8 (local.get $po) (f64.add (f64.load offset=8 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c02)) (f64x2.extract_lane 1 (local.get $c02))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa0) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 2))) (local.get $kend))))))))
        (f64.store offset=16 (local.get $po) (f64.add (f64.load offset=16 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c03)) (f64x2.extract_lane 1 (local.get $c03))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa0) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 3))) (local.get $kend))))))))
        (f64.store offset=24 (local.get $po) (f64.add (f64.load offset=24 (local.get $po)) (local.get $t0)))
        (local.set $po (i32.add (local.get $g) (i32.add (i32.mul (i32.add (local.get $ib) (i32.const 1)) (local.get $ldg8)) (i32.shl (local.get $jb) (i32.const 3)))))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c10)) (f64x2.extract_lane 1 (local.get $c10))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa1) (local.get $kend)))
            (f64.load (i32.add (local.get $pb) (local.get $kend))))))))
        (f64.store offset=0 (local.get $po) (f64.add (f64.load offset=0 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c11)) (f64x2.extract_lane 1 (local.get $c11))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa1) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 1))) (local.get $kend))))))))
        (f64.store offset=8 (local.get $po) (f64.add (f64.load offset=8 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c12)) (f64x2.extract_lane 1 (local.get $c12))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa1) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 2))) (local.get $kend))))))))
        (f64.store offset=16 (local.get $po) (f64.add (f64.load offset=16 (local.get $po)) (local.get $t0)))
        (local.set $t0 (f64.add (f64x2.extract_lane 0 (local.get $c13)) (f64x2.extract_lane 1 (local.get $c13))))
        (if (i32.and (local.get $rows) (i32.const 1)) (then
          (local.set $t0 (f64.add (local.get $t0) (f64.mul
            (f64.load (i32.add (local.get $pa1) (local.get $kend)))
            (f64.load (i32.add (i32.add (local.get $pb) (i32.mul (local.get $ldx8) (i32.const 3))) (local.get $kend))))))))
        (f64.store offset=24 (local.get $po) (f64.add (f64.load offset=24 (local.get $po)) (local.get $t0)))
        (local.set $jb (i32.add (local.get $jb) (i32.const 4)))
        (br $jbLoop)))
      (local.set $ib (i32.add (local.get $ib) (i32.const 2)))
      (br $ibLoop)))
  )

  ;; tridiagSweep(a, dim, k, v, p, vPrev, wPrev)
  ;; One step of the fused Householder tridiagonalisation of src/simulate/kernels.ts
  ;; (tridiagonalize, the case with a pending update): for rows i = k+1 .. dim-1 of the lower
  ;; triangle of the row-major dim x dim matrix a,
  ;;   a_ij -= vPrev_i wPrev_j + wPrev_i vPrev_j            (j = k+1 .. i)
  ;;   p_i  += sum_{j<=i} a_ij v_j,   p_j += a_ij v_i       (j < i)
  ;; so the previous step's rank-2 update and this step's product p = A22 v share one pass over
  ;; the matrix. Columns are taken in pairs (f64x2); the row sum keeps even and odd columns in
  ;; separate lanes, added at the end of the row.
  (func (export "tridiagSweep")
    (param $a i32) (param $dim i32) (param $k i32) (param $v i32) (param $p i32) (param $vp i32) (param $wp i32)
    (local $i i32) (local $ib i32) (local $ri i32) (local $jb i32) (local $jend i32)
    (local $vi f64) (local $ui f64) (local $wi f64) (local $t f64) (local $x f64)
    (local $viv v128) (local $uiv v128) (local $wiv v128) (local $tv v128) (local $av v128)
    (local.set $i (i32.add (local.get $k) (i32.const 1)))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $dim)))
      (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
      (local.set $ri (i32.add (local.get $a) (i32.shl (i32.mul (local.get $i) (local.get $dim)) (i32.const 3))))
      (local.set $vi (f64.load (i32.add (local.get $v) (local.get $ib))))
      (local.set $ui (f64.load (i32.add (local.get $vp) (local.get $ib))))
      (local.set $wi (f64.load (i32.add (local.get $wp) (local.get $ib))))
      (local.set $viv (f64x2.splat (local.get $vi)))
      (local.set $uiv (f64x2.splat (local.get $ui)))
      (local.set $wiv (f64x2.splat (local.get $wi)))
      (local.set $tv (v128.const f64x2 0 0))
      ;; columns j = k+1 .. i-1 in pairs: jb is the byte offset of column j, jend of column i-1
      (local.set $jb (i32.shl (i32.add (local.get $k) (i32.const 1)) (i32.const 3)))
      (local.set $jend (i32.sub (local.get $ib) (i32.const 8)))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_s (local.get $jb) (local.get $jend)))
        (local.set $av (f64x2.sub (v128.load (i32.add (local.get $ri) (local.get $jb)))
          (f64x2.add (f64x2.mul (local.get $uiv) (v128.load (i32.add (local.get $wp) (local.get $jb))))
                     (f64x2.mul (local.get $wiv) (v128.load (i32.add (local.get $vp) (local.get $jb)))))))
        (v128.store (i32.add (local.get $ri) (local.get $jb)) (local.get $av))
        (local.set $tv (f64x2.add (local.get $tv) (f64x2.mul (local.get $av) (v128.load (i32.add (local.get $v) (local.get $jb))))))
        (v128.store (i32.add (local.get $p) (local.get $jb))
          (f64x2.add (v128.load (i32.add (local.get $p) (local.get $jb))) (f64x2.mul (local.get $av) (local.get $viv))))
        (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
        (br $jLoop)))
      (local.set $t (f64.add (f64x2.extract_lane 0 (local.get $tv)) (f64x2.extract_lane 1 (local.get $tv))))
      ;; an odd column left before the diagonal (jb = jend)
      (if (i32.eq (local.get $jb) (local.get $jend)) (then
        (local.set $x (f64.sub (f64.load (i32.add (local.get $ri) (local.get $jb)))
          (f64.add (f64.mul (local.get $ui) (f64.load (i32.add (local.get $wp) (local.get $jb))))
                   (f64.mul (local.get $wi) (f64.load (i32.add (local.get $vp) (local.get $jb)))))))
        (f64.store (i32.add (local.get $ri) (local.get $jb)) (local.get $x))
        (local.set $t (f64.add (local.get $t) (f64.mul (local.get $x) (f64.load (i32.add (local.get $v) (local.get $jb))))))
        (f64.store (i32.add (local.get $p) (local.get $jb))
          (f64.add (f64.load (i32.add (local.get $p) (local.get $jb))) (f64.mul (local.get $x) (local.get $vi))))))
      ;; the diagonal entry a_ii
      (local.set $x (f64.sub (f64.load (i32.add (local.get $ri) (local.get $ib)))
        (f64.add (f64.mul (local.get $ui) (local.get $wi)) (f64.mul (local.get $wi) (local.get $ui)))))
      (f64.store (i32.add (local.get $ri) (local.get $ib)) (local.get $x))
      (f64.store (i32.add (local.get $p) (local.get $ib))
        (f64.add (f64.load (i32.add (local.get $p) (local.get $ib))) (f64.add (local.get $t) (f64.mul (local.get $x) (local.get $vi)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $iLoop)))
  )
)
